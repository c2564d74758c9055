package strategy

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestServiceTypeChangeDropsAllocatedFields(t *testing.T) {
	nodePort := func() *corev1.Service {
		return &corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{
			Type: "NodePort", ClusterIp: "127.96.0.10", ClusterIps: []string{"127.96.0.10"},
			IpFamilies: []string{"IPv4"}, IpFamilyPolicy: proto.String("SingleStack"),
			Ports: []*corev1.ServicePort{{Port: 80, Protocol: "TCP", NodePort: 30080}},
		}}
	}
	tests := []struct {
		name   string
		change func(*corev1.ServiceSpec)
		want   func(*corev1.ServiceSpec)
	}{
		{name: "to ClusterIP drops the node ports", change: func(s *corev1.ServiceSpec) { s.Type = "ClusterIP" },
			want: func(s *corev1.ServiceSpec) { s.Type = "ClusterIP"; s.Ports[0].NodePort = 0 }},
		{name: "to ClusterIP keeps a node port the client changed", change: func(s *corev1.ServiceSpec) {
			s.Type, s.Ports[0].NodePort = "ClusterIP", 30081
		}, want: func(s *corev1.ServiceSpec) { s.Type, s.Ports[0].NodePort = "ClusterIP", 30081 }},
		{name: "to ExternalName drops the addresses and families", change: func(s *corev1.ServiceSpec) {
			s.Type, s.ExternalName = "ExternalName", "example.com"
		}, want: func(s *corev1.ServiceSpec) {
			s.Type, s.ExternalName = "ExternalName", "example.com"
			s.ClusterIp, s.ClusterIps, s.IpFamilies, s.IpFamilyPolicy = "", nil, nil, nil
			s.Ports[0].NodePort = 0
		}},
		{name: "same type keeps everything", change: func(*corev1.ServiceSpec) {}, want: func(*corev1.ServiceSpec) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur, want := nodePort(), nodePort(), nodePort()
			tt.change(cur.Spec)
			tt.want(want.Spec)
			serviceStrategy{}.PrepareForUpdate(cur, old)
			require.True(t, proto.Equal(want.Spec, cur.Spec), "got %v\nwant %v", cur.Spec, want.Spec)
		})
	}
}
