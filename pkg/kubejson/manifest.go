package kubejson

import (
	"encoding/json"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// DecodeManifest decodes a manifest, one object in YAML or JSON of a kind sch knows, strictly:
// every field must be known. It returns the kind, the object and the manifest as JSON.
func DecodeManifest(sch *scheme.Scheme, manifest []byte) (*scheme.Kind, scheme.Object, []byte, error) {
	in, err := yaml.YAMLToJSON(manifest)
	if err != nil {
		return nil, nil, nil, apierrors.NewBadRequest("the manifest is not YAML or JSON: %v", err)
	}
	var tm struct{ APIVersion, Kind string }
	if err := json.Unmarshal(in, &tm); err != nil {
		return nil, nil, nil, apierrors.NewBadRequest("the manifest is not an object: %v", err)
	}
	gvk := scheme.GroupVersionKind{Version: tm.APIVersion, Kind: tm.Kind}
	if g, v, ok := strings.Cut(tm.APIVersion, "/"); ok {
		gvk.Group, gvk.Version = g, v
	}
	k, ok := sch.ByKind(gvk)
	if !ok {
		return nil, nil, nil, apierrors.NewBadRequest("unknown kind %s %s", tm.APIVersion, tm.Kind)
	}
	obj, err := FromJSON(k, in, DecodeOptions{Strict: true})
	if err != nil {
		return nil, nil, nil, err
	}
	return k, obj, in, nil
}
