package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// readBody reads a request body within the bounds of Limits (see Handler.limit, which sets them):
// too large a body is RequestEntityTooLarge, one that takes too long to arrive is a 408.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(err)
	}
	return b, nil
}

// readWrite reads the body and the dryRun parameter every write request carries.
func readWrite(r *http.Request) (body []byte, dry bool, err error) {
	if body, err = readBody(r); err != nil {
		return nil, false, err
	}
	if dry, err = dryRun(r); err != nil {
		return nil, false, err
	}
	return body, dry, nil
}

// mediaType returns the request's Content-Type without parameters; none means JSON.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "application/json"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// fieldValidation returns the request's fieldValidation: Strict, Warn (the default) or Ignore.
func fieldValidation(r *http.Request) (string, error) {
	switch v := r.URL.Query().Get("fieldValidation"); v {
	case "":
		return "Warn", nil
	case "Strict", "Warn", "Ignore":
		return v, nil
	default:
		return "", apierrors.NewBadRequest("fieldValidation must be Strict, Warn or Ignore, not %q", v)
	}
}

// dryRun reports whether the request asks for dryRun=All; other values are refused.
func dryRun(r *http.Request) (bool, error) {
	return registry.ParseDryRun(r.URL.Query()["dryRun"])
}

// decodeObject decodes a request body of kind k, as JSON or as a Kubernetes protobuf envelope, and
// honours fieldValidation: unknown and duplicate fields fail under Strict and become Warning headers
// under Warn.
func decodeObject(w http.ResponseWriter, r *http.Request, k *scheme.Kind, body []byte) (scheme.Object, error) {
	fv, err := fieldValidation(r)
	if err != nil {
		return nil, err
	}
	switch mediaType(r) {
	case "application/json":
	case protobufMediaType:
		if body, err = protobufToJSON(k, body); err != nil {
			return nil, err
		}
	default:
		return nil, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type"))
	}
	var warnings []string
	obj, err := kubejson.FromJSON(k, body, decodeOptions(fv, &warnings))
	if err != nil {
		return nil, err
	}
	addWarnings(w, warnings)
	return obj, nil
}

// decodeOptions are the decoder's options for fieldValidation fv: Strict fails on unknown and
// duplicate fields, Warn collects them in warnings, Ignore does not look for them.
func decodeOptions(fv string, warnings *[]string) kubejson.DecodeOptions {
	switch fv {
	case "Strict":
		return kubejson.DecodeOptions{Strict: true}
	case "Warn":
		return kubejson.DecodeOptions{Warnings: warnings}
	}
	return kubejson.DecodeOptions{}
}

// checkPatchFields looks for duplicate fields in a patch body under fieldValidation fv, as
// Kubernetes does before applying it: Strict fails with BadRequest, Warn adds them to warnings.
func checkPatchFields(fv string, patch []byte, warnings *[]string) error {
	if fv == "Ignore" || !json.Valid(patch) {
		return nil
	}
	dups := kubejson.DuplicateFields(patch)
	if len(dups) == 0 {
		return nil
	}
	msgs := make([]string, len(dups))
	for i, d := range dups {
		msgs[i] = fmt.Sprintf("duplicate field %q", d)
	}
	if fv == "Strict" {
		return apierrors.NewBadRequest("strict decoding error: %s", strings.Join(msgs, ", "))
	}
	*warnings = append(*warnings, msgs...)
	return nil
}

// addWarnings sends each of warnings as a Warning header, as Kubernetes sends decoding warnings.
func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
	}
}
