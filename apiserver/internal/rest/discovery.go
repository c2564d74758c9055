package rest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// servedVerbs are the verbs every resource serves through this edge.
var servedVerbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}

// subresourceVerbs are the verbs of each subresource this edge serves.
var subresourceVerbs = map[string][]string{
	"status":   {"get", "patch", "update"},
	"binding":  {"create"},
	"scale":    {"get", "patch", "update"},
	"eviction": {"create"},
	"log":      {"get"},
	"token":    {"create"},
	"approval": {"get", "patch", "update"},
}

// servedKinds returns the stored kinds and the create-only kinds the registry answers, which
// discovery lists.
func (h *Handler) servedKinds() []*scheme.Kind {
	kinds := h.scheme.Kinds()
	for _, k := range h.scheme.CreateOnly() {
		if h.reg.Serves(k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// verbsOf returns the verbs k serves.
func verbsOf(k *scheme.Kind) []string {
	if k.CreateOnly {
		return []string{"create"}
	}
	return servedVerbs
}

type apiVersions struct {
	Kind                       string          `json:"kind"`
	Versions                   []string        `json:"versions"`
	ServerAddressByClientCIDRs []serverAddress `json:"serverAddressByClientCIDRs"`
}

type serverAddress struct {
	ClientCIDR    string `json:"clientCIDR"`
	ServerAddress string `json:"serverAddress"`
}

type groupVersion struct {
	GroupVersion string `json:"groupVersion"`
	Version      string `json:"version"`
}

type apiGroup struct {
	Name             string         `json:"name"`
	Versions         []groupVersion `json:"versions"`
	PreferredVersion groupVersion   `json:"preferredVersion"`
}

type apiGroupList struct {
	Kind       string     `json:"kind"`
	APIVersion string     `json:"apiVersion"`
	Groups     []apiGroup `json:"groups"`
}

type apiResource struct {
	Name         string   `json:"name"`
	SingularName string   `json:"singularName"`
	Namespaced   bool     `json:"namespaced"`
	Group        string   `json:"group,omitempty"`
	Version      string   `json:"version,omitempty"`
	Kind         string   `json:"kind"`
	Verbs        []string `json:"verbs"`
	ShortNames   []string `json:"shortNames,omitempty"`
	Categories   []string `json:"categories,omitempty"`
}

type apiResourceList struct {
	Kind         string        `json:"kind"`
	APIVersion   string        `json:"apiVersion"`
	GroupVersion string        `json:"groupVersion"`
	Resources    []apiResource `json:"resources"`
}

// serveAPIVersions answers GET /api.
func (h *Handler) serveAPIVersions(w http.ResponseWriter, r *http.Request) {
	if wantsAggregated(r) {
		writeAggregated(w, h.aggregatedCore)
		return
	}
	writeJSON(w, http.StatusOK, apiVersions{
		Kind:                       "APIVersions",
		Versions:                   []string{"v1"},
		ServerAddressByClientCIDRs: []serverAddress{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
	})
}

// serveAPIGroups answers GET /apis with every named group.
func (h *Handler) serveAPIGroups(w http.ResponseWriter, r *http.Request) {
	if wantsAggregated(r) {
		writeAggregated(w, h.aggregatedNamed)
		return
	}
	names, versions := h.groupVersions()
	names = slices.DeleteFunc(names, func(g string) bool { return g == "" })
	list := apiGroupList{Kind: "APIGroupList", APIVersion: "v1", Groups: []apiGroup{}}
	for _, g := range names {
		ag := apiGroup{Name: g}
		for _, v := range versions[g] {
			ag.Versions = append(ag.Versions, groupVersion{GroupVersion: g + "/" + v, Version: v})
		}
		ag.PreferredVersion = ag.Versions[0]
		list.Groups = append(list.Groups, ag)
	}
	writeJSON(w, http.StatusOK, list)
}

// groupVersions returns the served groups, sorted ("" for the core group), and each group's
// versions, the preferred one first.
func (h *Handler) groupVersions() ([]string, map[string][]string) {
	versions := map[string][]string{}
	for _, k := range h.servedKinds() {
		if !slices.Contains(versions[k.Group], k.Version) {
			versions[k.Group] = append(versions[k.Group], k.Version)
		}
	}
	names := make([]string, 0, len(versions))
	for g := range versions {
		names = append(names, g)
	}
	sort.Strings(names)
	return names, versions
}

// serveResources answers GET /api/v1 and /apis/<group>/<version>; it reports whether the group
// version exists.
func (h *Handler) serveResources(w http.ResponseWriter, group, version string) bool {
	list := apiResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: version, Resources: []apiResource{}}
	if group != "" {
		list.GroupVersion = group + "/" + version
	}
	for _, k := range h.servedKinds() {
		if k.Group != group || k.Version != version {
			continue
		}
		list.Resources = append(list.Resources, apiResource{
			Name:         k.Resource,
			SingularName: k.Singular,
			Namespaced:   k.Namespaced,
			Kind:         k.Kind,
			Verbs:        verbsOf(k),
			ShortNames:   k.ShortNames,
			Categories:   k.Categories,
		})
		for _, sub := range servedSubresources(k) {
			list.Resources = append(list.Resources, apiResource{
				Name:       k.Resource + "/" + sub.name,
				Namespaced: k.Namespaced,
				Group:      sub.group,
				Version:    sub.version,
				Kind:       sub.kind,
				Verbs:      sub.verbs,
			})
		}
	}
	if len(list.Resources) == 0 {
		return false
	}
	writeJSON(w, http.StatusOK, list)
	return true
}

// subresource is a subresource this edge serves, with the verbs it serves and the kind its body
// carries (an empty group and version: the parent's).
type subresource struct {
	name, group, version, kind string
	verbs                      []string
}

// servedSubresources returns the subresources of k this edge serves.
func servedSubresources(k *scheme.Kind) []subresource {
	var out []subresource
	for _, sub := range k.Subresources {
		verbs, ok := subresourceVerbs[sub]
		if !ok {
			continue
		}
		g, v, kind := subresourceKind(k, sub)
		out = append(out, subresource{name: sub, group: g, version: v, kind: kind, verbs: verbs})
	}
	return out
}

// subresourceKind names the kind a subresource's body carries.
func subresourceKind(k *scheme.Kind, sub string) (group, version, kind string) {
	switch sub {
	case "binding":
		return "", "", "Binding"
	case "scale":
		return "autoscaling", "v1", "Scale"
	case "eviction":
		return "policy", "v1", "Eviction"
	case "token":
		return "authentication.k8s.io", "v1", "TokenRequest"
	}
	return "", "", k.Kind
}

// aggregatedDiscoveryType is the media type of aggregated discovery (apidiscovery.k8s.io/v2): all
// of /api, or all of /apis, with every version's resources, in one answer. Clients recognise it by
// this Content-Type, so it is sent exactly so.
const aggregatedDiscoveryType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// wantsAggregated reports whether the Accept header prefers aggregated discovery v2 to the plain
// discovery documents: it names it before any plain JSON or wildcard entry, as kubectl does.
func wantsAggregated(r *http.Request) bool {
	for _, accept := range r.Header.Values("Accept") {
		for _, entry := range strings.Split(accept, ",") {
			base, params, err := mime.ParseMediaType(strings.TrimSpace(entry))
			if err != nil {
				continue
			}
			switch {
			case base == "application/json" && params["g"] == "apidiscovery.k8s.io" && params["v"] == "v2" &&
				params["as"] == "APIGroupDiscoveryList":
				return true
			case (base == "application/json" && params["as"] == "") || base == "*/*" || base == "application/*":
				return false
			}
		}
	}
	return false
}

// buildAggregated encodes, once, the aggregated discovery documents of /api (the core group) and
// /apis (every named group); the scheme never changes while the server runs.
func (h *Handler) buildAggregated() error {
	names, versions := h.groupVersions()
	var err error
	if h.aggregatedCore, err = h.aggregatedDoc([]string{""}, versions); err != nil {
		return err
	}
	h.aggregatedNamed, err = h.aggregatedDoc(slices.DeleteFunc(names, func(g string) bool { return g == "" }), versions)
	return err
}

// aggregatedDoc encodes the aggregated discovery v2 document of the named groups.
func (h *Handler) aggregatedDoc(groups []string, versions map[string][]string) ([]byte, error) {
	list := apidiscoveryv2.APIGroupDiscoveryList{
		TypeMeta: k8smetav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"},
		Items:    []apidiscoveryv2.APIGroupDiscovery{},
	}
	for _, g := range groups {
		item := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: k8smetav1.ObjectMeta{Name: g}}
		for _, v := range versions[g] {
			item.Versions = append(item.Versions, apidiscoveryv2.APIVersionDiscovery{
				Version:   v,
				Resources: h.aggregatedResources(g, v),
				Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
			})
		}
		list.Items = append(list.Items, item)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("encode aggregated discovery: %w", err)
	}
	return append(b, '\n'), nil
}

// writeAggregated answers with an aggregated discovery document.
func writeAggregated(w http.ResponseWriter, doc []byte) {
	w.Header().Set("Content-Type", aggregatedDiscoveryType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}

// aggregatedResources describes the resources of one group version, with their subresources.
func (h *Handler) aggregatedResources(group, version string) []apidiscoveryv2.APIResourceDiscovery {
	var out []apidiscoveryv2.APIResourceDiscovery
	for _, k := range h.servedKinds() {
		if k.Group != group || k.Version != version {
			continue
		}
		scope := apidiscoveryv2.ScopeCluster
		if k.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		rd := apidiscoveryv2.APIResourceDiscovery{
			Resource:         k.Resource,
			ResponseKind:     &k8smetav1.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind},
			Scope:            scope,
			SingularResource: k.Singular,
			Verbs:            verbsOf(k),
			ShortNames:       k.ShortNames,
			Categories:       k.Categories,
		}
		for _, sub := range servedSubresources(k) {
			g, v := sub.group, sub.version
			if v == "" {
				// The plain documents leave these empty to mean the parent's group version.
				g, v = k.Group, k.Version
			}
			rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{
				Subresource:  sub.name,
				ResponseKind: &k8smetav1.GroupVersionKind{Group: g, Version: v, Kind: sub.kind},
				Verbs:        sub.verbs,
			})
		}
		out = append(out, rd)
	}
	return out
}
