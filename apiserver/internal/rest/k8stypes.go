package rest

import (
	"bytes"
	"encoding/json"

	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// protobufMediaType is Kubernetes' protobuf wire format: the "k8s\x00" magic and a runtime.Unknown
// envelope.
const protobufMediaType = "application/vnd.kubernetes.protobuf"

// deleteOptionsProtobufToJSON decodes a Kubernetes protobuf meta/v1 DeleteOptions, as client-go
// sends with a DELETE, and returns its JSON form.
func deleteOptionsProtobufToJSON(body []byte) ([]byte, error) {
	obj, _, err := protobuf.NewSerializer(kubejson.Scheme(), kubejson.Scheme()).Decode(body, nil, &k8smetav1.DeleteOptions{})
	if err != nil {
		return nil, apierrors.NewBadRequest("decode protobuf DeleteOptions: %v", err)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return b, nil
}

// payloadProtobufToJSON decodes a Kubernetes protobuf body that must hold a kind posted to a
// subresource (an Eviction, a TokenRequest), as client-go's protobuf clients send it (kubectl
// create token), and returns its JSON form.
func payloadProtobufToJSON(kind string, body []byte) ([]byte, error) {
	obj, gvk, err := protobuf.NewSerializer(kubejson.Scheme(), kubejson.Scheme()).Decode(body, nil, nil)
	if err != nil {
		return nil, apierrors.NewBadRequest("decode the protobuf body of a%s %s: %v", article(kind), kind, err)
	}
	if gvk != nil && gvk.Kind != kind {
		return nil, apierrors.NewBadRequest("the kind in the data (%s) does not match the expected kind (%s)", gvk.Kind, kind)
	}
	return prunedJSON(obj)
}

// protobufToJSON decodes a Kubernetes protobuf body that must hold a k and returns its JSON form.
func protobufToJSON(k *scheme.Kind, body []byte) ([]byte, error) {
	into, ok := kubejson.NewTyped(k)
	if !ok {
		return nil, apierrors.NewUnsupportedMediaType(protobufMediaType)
	}
	ser := protobuf.NewSerializer(kubejson.Scheme(), kubejson.Scheme())
	obj, gvk, err := ser.Decode(body, nil, into)
	if err != nil {
		return nil, apierrors.NewBadRequest("decode protobuf body: %v", err)
	}
	if gvk != nil && (gvk.Kind != k.Kind || gvk.Group != k.Group) {
		return nil, apierrors.NewBadRequest("the kind in the data (%s) does not match the expected kind (%s)", gvk.Kind, k.Kind)
	}
	return prunedJSON(obj)
}

// prunedJSON is the JSON form of a decoded Kubernetes object. Kubernetes' Go types encode unset
// times, slices and maps as null; they are dropped so that fieldValidation judges only what the
// client set. Unset structs ({}) are left to fromJSON, which knows which {} mean unset and which
// mean set ("emptyDir": {}).
func prunedJSON(obj any) ([]byte, error) {
	var m map[string]any
	b, err := json.Marshal(obj)
	if err == nil {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber() // int64s beyond 2^53 stay exact
		err = d.Decode(&m)
	}
	if err == nil {
		pruneNulls(m)
		b, err = json.Marshal(m)
	}
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return b, nil
}

// pruneNulls removes null values from m and the objects nested in it.
func pruneNulls(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneNulls(x)
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					pruneNulls(em)
				}
			}
		}
	}
}
