package predicates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestResources(t *testing.T) {
	node := func() *fixture.NodeBuilder { return fixture.Node("n").Capacity("4", "8Gi", 3) }
	tests := []struct {
		name   string
		node   *corev1.Node
		pod    *corev1.Pod
		placed []*corev1.Pod
		want   string
	}{
		{name: "fits", node: node().Obj(), pod: fixture.Pod("p").Req("1", "1Gi").Obj()},
		{name: "fits exactly", node: node().Obj(), pod: fixture.Pod("p").Req("2", "4Gi").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").Req("2", "4Gi").Obj()}},
		{name: "insufficient cpu, as the issue words it", node: node().Obj(), pod: fixture.Pod("p").Req("2", "").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").Req("2500m", "").Obj()}, want: "insufficient cpu (requested 2, free 1.5)"},
		{name: "insufficient memory", node: node().Obj(), pod: fixture.Pod("p").Req("", "6Gi").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").Req("", "2560Mi").Obj()}, want: "insufficient memory (requested 6Gi, free 5.5Gi)"},
		{name: "both", node: node().Obj(), pod: fixture.Pod("p").Req("5", "9Gi").Obj(),
			want: "insufficient cpu (requested 5, free 4), insufficient memory (requested 9Gi, free 8Gi)"},
		{name: "a pod without requests fits a full node", node: node().Obj(), pod: fixture.Pod("p").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").Req("4", "8Gi").Obj()}},
		{name: "too many pods", node: node().Obj(), pod: fixture.Pod("p").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q1").Obj(), fixture.Pod("q2").Obj(), fixture.Pod("q3").Obj()},
			want:   "too many pods (3 running, limit 3)"},
		{name: "a node that allows no pods", node: fixture.Node("n").Allocatable("cpu", "4").Obj(), pod: fixture.Pod("p").Obj(),
			want: "too many pods (0 running, limit 0)"},
		{name: "extended resource missing", node: node().Obj(), pod: fixture.Pod("p").Request("example.com/gpu", "1").Obj(),
			want: "insufficient example.com/gpu (requested 1, free 0)"},
		{name: "extended resource present", node: node().Allocatable("example.com/gpu", "2").Obj(),
			pod: fixture.Pod("p").Request("example.com/gpu", "2").Obj()},
		{name: "ephemeral storage", node: node().Allocatable("ephemeral-storage", "10Gi").Obj(),
			pod: fixture.Pod("p").Request("ephemeral-storage", "20Gi").Obj(), want: "insufficient ephemeral-storage (requested 20Gi, free 10Gi)"},
		{name: "overcommitted node shows no negative room", node: fixture.Node("n").Capacity("1", "1Gi", 10).Obj(),
			pod: fixture.Pod("p").Req("100m", "").Obj(), placed: []*corev1.Pod{fixture.Pod("q").Req("2", "").Obj()},
			want: "insufficient cpu (requested 0.1, free 0)"},
		{name: "bad allocatable", node: fixture.Node("n").Allocatable("cpu", "all").Obj(), pod: fixture.Pod("p").Obj(),
			want: "node n allocatable: resource cpu: " + parseErr(t, "all")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.Resources{}, tt.pod, tt.node, tt.placed...))
		})
	}
}

// parseErr returns the error text a quantity that does not parse gives.
func parseErr(t *testing.T, q string) string {
	t.Helper()
	_, err := resource.Parse(q)
	require.Error(t, err)
	return err.Error()
}

func TestFormatQuantity(t *testing.T) {
	tests := []struct {
		name string
		v    int64
		want string
	}{
		{"cpu", 2000, "2"}, {"cpu", 1500, "1.5"}, {"cpu", 250, "0.25"}, {"cpu", 0, "0"},
		{"memory", 512 << 20, "512Mi"}, {"memory", 1536 << 20, "1.5Gi"}, {"memory", 1000, "1000"}, {"memory", 1 << 40, "1Ti"},
		{"example.com/gpu", 3, "3"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, predicates.FormatQuantity(tt.name, tt.v), "%s %d", tt.name, tt.v)
	}
}
