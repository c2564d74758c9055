package rest

import (
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Handler serves the Kubernetes REST paths under /api and /apis. It is safe for concurrent use.
type Handler struct {
	reg    *registry.Registry
	scheme *scheme.Scheme
	lg     *zap.Logger
	// kubelets reaches the kubelets that pods/log is proxied to.
	kubelets *http.Client
	// kubeletHTTPS says kubelets are reached over HTTPS.
	kubeletHTTPS bool
	// limits bound every request under /api and /apis.
	limits Limits
	// aggregatedCore and aggregatedNamed are the aggregated discovery documents of /api and /apis,
	// built by Install.
	aggregatedCore, aggregatedNamed []byte
}

// New returns a handler serving reg within lim (zero fields take their defaults: 3 MiB bodies read
// within 30 s, 60 s per request). Watches and followed logs end when reg drains.
func New(reg *registry.Registry, lg *zap.Logger, lim Limits) *Handler {
	return &Handler{reg: reg, scheme: reg.Scheme(), lg: lg, kubelets: newKubeletClient(nil), limits: lim.withDefaults()}
}

// Install mounts the handler's paths on mux: /api, /apis, /openapi/v2 and /openapi/v3.
func (h *Handler) Install(mux *http.ServeMux) error {
	oa, err := newOpenAPI(h.scheme)
	if err != nil {
		return err
	}
	oa2, err := newOpenAPIV2(h.scheme)
	if err != nil {
		return err
	}
	if err := h.buildAggregated(); err != nil {
		return err
	}
	mux.Handle("/openapi/v2", oa2)
	mux.Handle("/openapi/v3", oa)
	mux.Handle("/openapi/v3/", oa)
	api := h.limit(h)
	mux.Handle("/api", api)
	mux.Handle("/api/", api)
	mux.Handle("/apis", api)
	mux.Handle("/apis/", api)
	return nil
}

// request is a parsed resource path.
type request struct {
	kind        *scheme.Kind
	store       *registry.Store
	namespace   string
	name        string
	subresource string
}

// ServeHTTP routes discovery and resource requests.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := splitPath(r.URL.Path)
	var group, version string
	var rest []string
	switch {
	case len(parts) >= 1 && parts[0] == "api":
		if len(parts) == 1 {
			h.onlyGet(w, r, h.serveAPIVersions)
			return
		}
		version, rest = parts[1], parts[2:]
	case len(parts) >= 1 && parts[0] == "apis":
		if len(parts) == 1 {
			h.onlyGet(w, r, h.serveAPIGroups)
			return
		}
		if len(parts) == 2 {
			h.onlyGet(w, r, func(w http.ResponseWriter, _ *http.Request) { h.serveGroup(w, parts[1]) })
			return
		}
		group, version, rest = parts[1], parts[2], parts[3:]
	default:
		writeError(w, notFoundPath())
		return
	}
	if len(rest) == 0 {
		h.onlyGet(w, r, func(w http.ResponseWriter, _ *http.Request) {
			if !h.serveResources(w, group, version) {
				writeError(w, notFoundPath())
			}
		})
		return
	}
	req, err := h.parse(group, version, rest)
	if err != nil {
		writeError(w, err)
		return
	}
	h.serveResource(w, r, req)
}

// parse resolves the path segments after the group version: [namespaces/<ns>/]<resource>[/<name>[/<sub>]].
func (h *Handler) parse(group, version string, segs []string) (*request, error) {
	req := &request{}
	if len(segs) >= 3 && segs[0] == "namespaces" {
		if _, ok := h.scheme.ByResource(scheme.GroupVersionResource{Group: group, Version: version, Resource: segs[2]}); ok {
			req.namespace, segs = segs[1], segs[2:]
		}
	}
	if len(segs) > 3 {
		return nil, apierrors.NewNotFound(group, segs[0], "")
	}
	gvr := scheme.GroupVersionResource{Group: group, Version: version, Resource: segs[0]}
	k, ok := h.scheme.ByResource(gvr)
	if !ok {
		return nil, &apierrors.StatusError{Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
			Message: "the server could not find the requested resource"}
	}
	if k.CreateOnly {
		req.kind = k
	} else {
		st, err := h.reg.Store(gvr)
		if err != nil {
			return nil, err
		}
		req.kind, req.store = k, st
	}
	if len(segs) >= 2 {
		req.name = segs[1]
	}
	if len(segs) == 3 {
		req.subresource = segs[2]
	}
	if !k.Namespaced && req.namespace != "" {
		return nil, apierrors.NewNotFound(group, k.Resource, req.name)
	}
	return req, nil
}

// serveResource dispatches a resource request by method.
func (h *Handler) serveResource(w http.ResponseWriter, r *http.Request, req *request) {
	if req.kind.CreateOnly {
		h.createOnly(w, r, req)
		return
	}
	if req.subresource != "" && !req.kind.HasSubresource(req.subresource) {
		writeError(w, &apierrors.StatusError{Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
			Message: "the server could not find the requested resource"})
		return
	}
	switch req.subresource {
	case "", "status", "binding", "approval":
	case "scale":
		h.scale(w, r, req)
		return
	case "eviction":
		h.evict(w, r, req)
		return
	case "token":
		h.createToken(w, r, req)
		return
	case "log":
		h.podLog(w, r, req)
		return
	default:
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/"+req.subresource, methodVerb(r)))
		return
	}
	watch := false
	if r.Method == http.MethodGet {
		var err error
		if watch, err = queryBool(r.URL.Query(), "watch"); err != nil {
			writeError(w, err)
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && req.name != "":
		h.get(w, r, req)
	case r.Method == http.MethodGet && watch:
		h.watch(w, r, req)
	case r.Method == http.MethodGet:
		h.list(w, r, req)
	case r.Method == http.MethodPost:
		h.create(w, r, req)
	case r.Method == http.MethodPut:
		h.update(w, r, req)
	case r.Method == http.MethodPatch:
		h.patch(w, r, req)
	case r.Method == http.MethodDelete:
		h.remove(w, r, req)
	default:
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, methodVerb(r)))
	}
}

func (h *Handler) onlyGet(w http.ResponseWriter, r *http.Request, fn http.HandlerFunc) {
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported("", r.URL.Path, strings.ToLower(r.Method)))
		return
	}
	fn(w, r)
}

// serveGroup answers GET /apis/<group>.
func (h *Handler) serveGroup(w http.ResponseWriter, name string) {
	ag := apiGroup{Name: name}
	for _, k := range h.servedKinds() {
		if k.Group == name && (len(ag.Versions) == 0 || ag.Versions[len(ag.Versions)-1].Version != k.Version) {
			ag.Versions = append(ag.Versions, groupVersion{GroupVersion: name + "/" + k.Version, Version: k.Version})
		}
	}
	if len(ag.Versions) == 0 || name == "" {
		writeError(w, &apierrors.StatusError{Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
			Message: "the server could not find the requested resource"})
		return
	}
	ag.PreferredVersion = ag.Versions[0]
	writeJSON(w, http.StatusOK, struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
		apiGroup
	}{"APIGroup", "v1", ag})
}

func notFoundPath() error {
	return &apierrors.StatusError{Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
		Message: "the server could not find the requested resource", Details: &apierrors.Details{}}
}

// methodVerb names an HTTP method as an API verb in messages.
func methodVerb(r *http.Request) string {
	switch r.Method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	default:
		return strings.ToLower(r.Method)
	}
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
