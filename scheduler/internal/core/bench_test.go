package core_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// BenchmarkSchedule times one scheduling decision (filter and score, no API) for a pod with small
// requests on clusters of 500 and 5,000 nodes holding two pods each, with the default provider
// and adaptive node sampling: the algorithm's share of the per-pod cost.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			nodes := cluster(n, nil)
			var placed []*corev1.Pod
			for i, node := range nodes {
				for j := 0; j < 2; j++ {
					placed = append(placed, fixture.Pod(fmt.Sprintf("p-%d-%d", i, j)).Req("100m", "128Mi").Node(node.GetMetadata().GetName()).Obj())
				}
			}
			snap, err := nodeinfo.NewSnapshot(nodes, placed)
			if err != nil {
				b.Fatal(err)
			}
			s := newScheduler(b, algorithmprovider.DefaultProvider, 0, 1)
			pod := fixture.Info(b, fixture.Pod("new").Req("100m", "128Mi").Obj())
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Schedule(context.Background(), pod, snap); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
