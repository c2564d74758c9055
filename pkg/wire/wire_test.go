package wire_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/wire"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func pod(note string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			Name: "web-0", Namespace: "default", ResourceVersion: "42",
			CreationTimestamp: timestamppb.Now(),
			Labels:            map[string]string{"app": "web", "tier": "front"},
			Annotations:       map[string]string{"note": note},
		},
		Spec: &corev1.PodSpec{
			NodeName:     "node-1",
			NodeSelector: map[string]string{"disk": "ssd"},
			Containers: []*corev1.Container{{
				Name: "web", Image: "nginx",
				Resources: &corev1.ResourceRequirements{Requests: map[string]string{"cpu": "100m"}},
			}},
		},
	}
}

// messages covers a message with the generated fast paths, large and small, and well-known
// types, which go through the protobuf runtime.
func messages() map[string]proto.Message {
	return map[string]proto.Message{
		"pod":       pod("small"),
		"large pod": pod(strings.Repeat("x", 64<<10)),
		"empty pod": &corev1.Pod{},
		"timestamp": timestamppb.Now(),
		"any":       &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.Pod", Value: []byte{1, 2, 3}},
	}
}

func TestMarshalUnmarshal(t *testing.T) {
	for name, m := range messages() {
		t.Run(name, func(t *testing.T) {
			b, err := wire.Marshal(m)
			require.NoError(t, err)
			// The runtime decodes what the fast path encodes, and the other way round.
			viaRuntime := m.ProtoReflect().New().Interface()
			require.NoError(t, proto.Unmarshal(b, viaRuntime))
			require.True(t, proto.Equal(m, viaRuntime))

			want, err := proto.Marshal(m)
			require.NoError(t, err)
			got := m.ProtoReflect().New().Interface()
			require.NoError(t, wire.Unmarshal(want, got))
			require.True(t, proto.Equal(m, got))
		})
	}
}

func TestUnmarshalResets(t *testing.T) {
	b, err := wire.Marshal(&corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "b"}})
	require.NoError(t, err)
	got := pod("stale")
	require.NoError(t, wire.Unmarshal(b, got))
	require.True(t, proto.Equal(&corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "b"}}, got))
}

func TestUnmarshalKeepsNoReference(t *testing.T) {
	b, err := wire.Marshal(pod("kept"))
	require.NoError(t, err)
	got := &corev1.Pod{}
	require.NoError(t, wire.Unmarshal(b, got))
	clear(b)
	require.Equal(t, "kept", got.GetMetadata().GetAnnotations()["note"])
}

func TestClone(t *testing.T) {
	p := pod("orig")
	c := wire.Clone(p)
	require.True(t, proto.Equal(p, c))
	c.Metadata.Labels["app"] = "changed"
	c.Spec.Containers[0].Name = "changed"
	require.Equal(t, "web", p.GetMetadata().GetLabels()["app"])
	require.Equal(t, "web", p.GetSpec().GetContainers()[0].GetName())

	ts := timestamppb.Now()
	require.True(t, proto.Equal(ts, wire.Clone(ts)))
	require.Nil(t, wire.Clone((*corev1.Pod)(nil)))
}

func TestCodec(t *testing.T) {
	var c wire.Codec
	require.Equal(t, "proto", c.Name())
	for name, m := range messages() {
		t.Run(name, func(t *testing.T) {
			data, err := c.Marshal(m)
			require.NoError(t, err)
			got := m.ProtoReflect().New().Interface()
			require.NoError(t, c.Unmarshal(data, got))
			data.Free()
			require.True(t, proto.Equal(m, got))
		})
	}
	_, err := c.Marshal("not a message")
	require.Error(t, err)
	require.Error(t, c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{1})}, 42))
}
