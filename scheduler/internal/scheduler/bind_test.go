package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/cache"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/metrics"
	"github.com/keelson-dev/keelson/scheduler/internal/queue"
)

// TestBindOutcomes drives the binding step with a binder that succeeds or fails: a success
// leaves the assumption for the informer to confirm; a failure forgets it, and requeues the pod
// with backoff unless the refusal shows the pod needs no more scheduling.
func TestBindOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantAssumed bool
		wantBackoff int
		wantResult  string
	}{
		{name: "written", wantAssumed: true, wantResult: metrics.ResultScheduled},
		{name: "failed: retried after backoff", err: apierrors.NewServiceUnavailable("etcd is down"), wantBackoff: 1, wantResult: metrics.ResultError},
		{name: "bound elsewhere meanwhile", err: apierrors.NewConflict("", "pods", "p", "already assigned"), wantResult: metrics.ResultError},
		{name: "deleted meanwhile", err: apierrors.NewNotFound("", "pods", "p"), wantResult: metrics.ResultError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lg := zaptest.NewLogger(t)
			clk := clock.NewFake(time.Unix(1000, 0))
			m, err := metrics.New(prometheus.NewRegistry())
			require.NoError(t, err)
			var bound []string
			s := &Scheduler{
				cfg: Config{Metrics: m, Clock: clk, Bind: func(_ context.Context, ns, name, node string) error {
					bound = append(bound, ns+"/"+name+"@"+node)
					return tt.err
				}},
				lg:       lg,
				cache:    cache.New(0, clk, lg),
				queue:    queue.New(queue.Config{Clock: clk}),
				status:   newStatusWriter(nil, informer.Lister[*corev1.Pod]{}, clk, lg),
				recorder: events.New(events.Config{Clock: clk, Logger: lg}),
			}
			s.cache.AddNode(fixture.Node("node-a").Capacity("4", "8Gi", 110).Obj())
			pod := fixture.Pod("p").Req("1", "1Gi").Obj()
			s.queue.Add(pod)
			p, _, ok := s.queue.Pop()
			require.True(t, ok)
			require.NoError(t, s.cache.AssumePod(fixture.Info(t, pod), "node-a"))
			s.status.set(p.Key, ReasonUnschedulable, "an earlier failure")
			clk.Step(250 * time.Millisecond)

			s.bind(context.Background(), p, "node-a")

			require.Equal(t, []string{"default/p@node-a"}, bound)
			require.Equal(t, tt.wantAssumed, s.cache.IsAssumed(p.Key))
			_, pods, _ := s.cache.Sizes()
			require.Equal(t, map[bool]int{true: 1, false: 0}[tt.wantAssumed], pods, "a failed binding's assumption is forgotten")
			_, backoff, _ := s.queue.Len()
			require.Equal(t, tt.wantBackoff, backoff)
			require.Equal(t, float64(1), testutil.ToFloat64(m.Attempts.WithLabelValues(tt.wantResult)))
			if tt.err == nil {
				require.Equal(t, uint64(1), histogramCount(t, m.E2ELatency))
				require.Empty(t, s.status.want, "a bound pod's pending condition is dropped")
			}
			s.queue.Add(pod)
			active, _, _ := s.queue.Len()
			require.Equal(t, map[bool]int{true: 0, false: 1}[tt.wantBackoff > 0], active, "the pod is no longer in flight")
		})
	}
}

func histogramCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	h.Collect(ch)
	var out dto.Metric
	require.NoError(t, (<-ch).Write(&out))
	return out.GetHistogram().GetSampleCount()
}
