package rest

import (
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// maxBodyBytes bounds a request body, as Kubernetes' 3 MiB limit does.
const maxBodyBytes = 3 * 1024 * 1024

// readBody reads a request body up to maxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest("read request body: %v", err)
	}
	if len(b) > maxBodyBytes {
		return nil, apierrors.NewRequestEntityTooLarge("the request body is larger than %d bytes", maxBodyBytes)
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
// honours fieldValidation: unknown fields fail under Strict and become Warning headers under Warn.
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
	var unknown []string
	obj, err := kubejson.FromJSON(k, body, kubejson.DecodeOptions{Strict: fv == "Strict", Unknown: &unknown})
	if err != nil {
		return nil, err
	}
	if fv == "Warn" {
		for _, u := range unknown {
			w.Header().Add("Warning", fmt.Sprintf("299 - %q", fmt.Sprintf("unknown field %q", u)))
		}
	}
	return obj, nil
}
