package watchcache

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestEncodedFromStoredBytesDecodesToTheObject(t *testing.T) {
	pod := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default", Uid: "u-1", Labels: map[string]string{"app": "web"}, Generation: 3},
		Spec:     &corev1.PodSpec{NodeName: "node-a", Containers: []*corev1.Container{{Name: "app", Image: "nginx"}}},
	}
	raw, err := proto.Marshal(pod) // as stored: no resourceVersion
	require.NoError(t, err)
	withRV := proto.Clone(pod).(*corev1.Pod)
	withRV.Metadata.ResourceVersion = "12345"

	fast, err := (&Event{Type: Added, Object: withRV, raw: raw}).Encoded()
	require.NoError(t, err)
	slow, err := (&Event{Type: Added, Object: withRV}).Encoded()
	require.NoError(t, err)
	require.Equal(t, slow.GetTypeUrl(), fast.GetTypeUrl())

	got, _, err := scheme.Builtin().Unpack(fast)
	require.NoError(t, err)
	require.True(t, proto.Equal(withRV, got), "the stored bytes plus the version decode to the object: %v", got)
}
