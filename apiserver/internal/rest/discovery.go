package rest

import (
	"net/http"
	"slices"
	"sort"

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
	writeJSON(w, http.StatusOK, apiVersions{
		Kind:                       "APIVersions",
		Versions:                   []string{"v1"},
		ServerAddressByClientCIDRs: []serverAddress{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}},
	})
}

// serveAPIGroups answers GET /apis with every named group.
func (h *Handler) serveAPIGroups(w http.ResponseWriter, _ *http.Request) {
	versions := map[string][]string{}
	for _, k := range h.scheme.Kinds() {
		if k.Group == "" {
			continue
		}
		if !slices.Contains(versions[k.Group], k.Version) {
			versions[k.Group] = append(versions[k.Group], k.Version)
		}
	}
	names := make([]string, 0, len(versions))
	for g := range versions {
		names = append(names, g)
	}
	sort.Strings(names)
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

// serveResources answers GET /api/v1 and /apis/<group>/<version>; it reports whether the group
// version exists.
func (h *Handler) serveResources(w http.ResponseWriter, group, version string) bool {
	list := apiResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: version, Resources: []apiResource{}}
	if group != "" {
		list.GroupVersion = group + "/" + version
	}
	for _, k := range h.scheme.Kinds() {
		if k.Group != group || k.Version != version {
			continue
		}
		list.Resources = append(list.Resources, apiResource{
			Name:         k.Resource,
			SingularName: k.Singular,
			Namespaced:   k.Namespaced,
			Kind:         k.Kind,
			Verbs:        servedVerbs,
			ShortNames:   k.ShortNames,
			Categories:   k.Categories,
		})
		for _, sub := range k.Subresources {
			verbs, ok := subresourceVerbs[sub]
			if !ok {
				continue
			}
			g, v, kind := subresourceKind(k, sub)
			list.Resources = append(list.Resources, apiResource{
				Name:       k.Resource + "/" + sub,
				Namespaced: k.Namespaced,
				Group:      g,
				Version:    v,
				Kind:       kind,
				Verbs:      verbs,
			})
		}
	}
	if len(list.Resources) == 0 {
		return false
	}
	writeJSON(w, http.StatusOK, list)
	return true
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
	}
	return "", "", k.Kind
}
