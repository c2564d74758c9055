package rest

import (
	"errors"
	"testing"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// clientError reports whether err is a Status error a client caused (4xx), as every rejection of
// bad input must be.
func clientError(err error) bool {
	var se *apierrors.StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

// FuzzDecode feeds arbitrary bodies to the JSON and protobuf decoders of every kind: no panic, and
// every failure is a 4xx Status error.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}}`))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"targetPort":"http"}]}}`))
	f.Add([]byte(`{"metadata":{"managedFields":[{"fieldsV1":{"f:a":{}}}]}}`))
	f.Add([]byte("k8s\x00\x0a\x04\x0a\x02v1"))
	f.Add([]byte(`[]`))
	kinds := scheme.Builtin().Kinds()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, k := range kinds {
			if _, err := kubejson.FromJSON(k, body, kubejson.DecodeOptions{Strict: len(body)%2 == 0}); err != nil && !clientError(err) {
				t.Fatalf("%s: %v", k.Kind, err)
			}
			if _, err := protobufToJSON(k, body); err != nil && !clientError(err) {
				t.Fatalf("%s protobuf: %v", k.Kind, err)
			}
		}
	})
}

// FuzzPatch applies arbitrary patches of every type to a deployment's Kubernetes JSON and decodes
// the result: no panic, and every failure is a 4xx Status error.
func FuzzPatch(f *testing.F) {
	f.Add(0, []byte(`{"spec":{"replicas":3}}`))
	f.Add(1, []byte(`[{"op":"replace","path":"/spec/replicas","value":5}]`))
	f.Add(2, []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}`))
	f.Add(2, []byte(`{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"$patch":"delete","name":"c"}]}}}}`))
	sch := scheme.Builtin()
	k, _ := sch.ByKind(scheme.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	doc := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,` +
		`"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}]}]}}}}`)
	types := []string{registry.PatchMerge, registry.PatchJSON, registry.PatchStrategic, registry.PatchApply}
	f.Fuzz(func(t *testing.T, typ int, patch []byte) {
		apply, err := patcher(k, types[uint(typ)%uint(len(types))], patch)
		if err != nil {
			if !clientError(err) {
				t.Fatal(err)
			}
			return
		}
		out, err := apply(doc)
		if err != nil {
			return // reported as BadRequest by the handler
		}
		if _, err := kubejson.FromJSON(k, out, kubejson.DecodeOptions{}); err != nil && !clientError(err) {
			t.Fatal(err)
		}
	})
}
