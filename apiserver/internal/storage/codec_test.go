package storage

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestCodecRoundTrip(t *testing.T) {
	codec := NewCodec(scheme.Builtin())
	for _, obj := range []scheme.Object{
		&corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p", Namespace: "default", ResourceVersion: "42"}},
		&appsv1.Deployment{Metadata: &metav1.ObjectMeta{Name: "d", Labels: map[string]string{"a": "b"}}},
	} {
		rv := obj.GetMetadata().GetResourceVersion()
		data, err := codec.Encode(obj)
		require.NoError(t, err)
		require.Equal(t, rv, obj.GetMetadata().GetResourceVersion(), "Encode leaves the caller's object alone")
		back, err := codec.Decode(data)
		require.NoError(t, err)
		require.Empty(t, back.GetMetadata().GetResourceVersion(), "resourceVersion is not stored")
		want := proto.Clone(obj).(scheme.Object)
		want.GetMetadata().ResourceVersion = ""
		require.True(t, proto.Equal(want, back))
	}
}

func TestCodecRejectsForeignValues(t *testing.T) {
	codec := NewCodec(scheme.Builtin())
	for _, data := range [][]byte{nil, []byte("{}"), []byte("kls\x00\xff\xff"), append([]byte("kls\x00"), mustEnvelope(t, "v1", "Widget")...)} {
		_, err := codec.Decode(data)
		require.ErrorIs(t, err, ErrCorrupt)
	}
}

func mustEnvelope(t *testing.T, apiVersion, kind string) []byte {
	t.Helper()
	b, err := proto.Marshal(&metav1.Unknown{TypeMeta: &metav1.TypeMeta{ApiVersion: apiVersion, Kind: kind}})
	require.NoError(t, err)
	return b
}
