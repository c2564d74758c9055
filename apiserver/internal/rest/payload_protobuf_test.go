package rest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	k8sauthenticationv1 "k8s.io/api/authentication/v1"
	k8spolicyv1 "k8s.io/api/policy/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
)

// A subresource payload sent as Kubernetes protobuf, as client-go's protobuf clients send it
// (kubectl create token), decodes to the JSON the handler reads; a payload of another kind, or
// bytes that are no envelope, are refused with a 400 that says so.
func TestPayloadProtobufToJSON(t *testing.T) {
	encode := func(obj runtime.Object) []byte {
		t.Helper()
		var b bytes.Buffer
		require.NoError(t, protobuf.NewSerializer(kubejson.Scheme(), kubejson.Scheme()).Encode(obj, &b))
		return b.Bytes()
	}
	expiry := int64(600)
	tr := &k8sauthenticationv1.TokenRequest{
		TypeMeta: k8smetav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenRequest"},
		Spec: k8sauthenticationv1.TokenRequestSpec{Audiences: []string{"https://example.com"}, ExpirationSeconds: &expiry,
			BoundObjectRef: &k8sauthenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "p"}},
	}
	b, err := payloadProtobufToJSON("TokenRequest", encode(tr))
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, map[string]any{"audiences": []any{"https://example.com"}, "expirationSeconds": float64(600),
		"boundObjectRef": map[string]any{"kind": "Pod", "apiVersion": "v1", "name": "p"}}, got["spec"])

	ev := &k8spolicyv1.Eviction{TypeMeta: k8smetav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
		ObjectMeta: k8smetav1.ObjectMeta{Name: "p", Namespace: "default"}}
	b, err = payloadProtobufToJSON("Eviction", encode(ev))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, "p", got["metadata"].(map[string]any)["name"])

	_, err = payloadProtobufToJSON("TokenRequest", encode(ev))
	require.Equal(t, apierrors.ReasonBadRequest, apierrors.ReasonFor(err))
	require.ErrorContains(t, err, "the kind in the data (Eviction) does not match the expected kind (TokenRequest)")
	_, err = payloadProtobufToJSON("TokenRequest", []byte(`{"kind":"TokenRequest"}`))
	require.Equal(t, apierrors.ReasonBadRequest, apierrors.ReasonFor(err))
	require.ErrorContains(t, err, "decode the protobuf body of a TokenRequest")
}
