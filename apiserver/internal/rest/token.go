package rest

import (
	"net/http"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
)

// createToken serves POST serviceaccounts/<name>/token: it decodes the authentication.k8s.io/v1
// TokenRequest, has the registry issue the token and answers 201 with the TokenRequest and its
// status, as Kubernetes does.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, req *request) {
	if r.Method != http.MethodPost || req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/token", methodVerb(r)))
		return
	}
	tr := &authenticationv1.TokenRequest{}
	dry, err := readPayload(r, "TokenRequest", tr)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := req.store.CreateToken(r.Context(), req.namespace, req.name, tr, dry)
	if err != nil {
		writeError(w, err)
		return
	}
	m, err := kubejson.MessageToMap(out)
	if err != nil {
		writeError(w, apierrors.NewInternal(err))
		return
	}
	m["apiVersion"], m["kind"] = "authentication.k8s.io/v1", "TokenRequest"
	writeJSON(w, http.StatusCreated, m)
}
