package rest

import (
	"encoding/json"
	"net/http"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// evict serves POST pods/<name>/eviction: it decodes the policy/v1 Eviction and hands it to the
// registry, answering an allowed eviction with 201 and a Success Status as Kubernetes does.
func (h *Handler) evict(w http.ResponseWriter, r *http.Request, req *request) {
	if r.Method != http.MethodPost || req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/eviction", methodVerb(r)))
		return
	}
	ev := &policyv1.Eviction{}
	dry, err := readPayload(r, "Eviction", ev)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := req.store.Evict(r.Context(), req.namespace, req.name, ev, dry); err != nil {
		writeError(w, err)
		return
	}
	st := successStatus("", "pods", req.name, "")
	st.Code = http.StatusCreated
	writeJSON(w, http.StatusCreated, st)
}

// readPayload decodes the body of a POST to a subresource, JSON or a Kubernetes protobuf
// envelope, into msg, a message of kind, and returns whether the request is a dry run.
func readPayload(r *http.Request, kind string, msg proto.Message) (bool, error) {
	body, dry, err := readWrite(r)
	if err != nil {
		return false, err
	}
	switch mediaType(r) {
	case "application/json":
	case protobufMediaType:
		if body, err = payloadProtobufToJSON(kind, body); err != nil {
			return false, err
		}
	default:
		return false, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return false, apierrors.NewBadRequest("the body of the request is not a%s %s: %v", article(kind), kind, err)
	}
	if k, ok := m["kind"]; ok && k != kind {
		return false, apierrors.NewBadRequest("the kind in the data (%v) does not match the expected kind (%s)", k, kind)
	}
	delete(m, "kind")
	delete(m, "apiVersion")
	if err := kubejson.MapToMessage(m, msg, kubejson.DecodeOptions{}); err != nil {
		return false, err
	}
	return dry, nil
}

// article is "n" before a kind that starts with a vowel.
func article(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOU", rune(kind[0])) {
		return "n"
	}
	return ""
}
