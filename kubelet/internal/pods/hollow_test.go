package pods

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestOnHollowRuntime runs the manager on the hollow runtime: pods run at once, a pod with a run
// duration succeeds after it, deletions are confirmed, and the metrics count what runs.
func TestOnHollowRuntime(t *testing.T) {
	clk := clock.NewFake(epoch)
	srv := clienttest.Start(t)
	reg := prometheus.NewRegistry()
	m, err := New(Config{
		Runtime: hollow.New(clk), Client: srv.Client(), NodeName: "hollow-1", NodeIP: "127.0.0.1",
		Clock: clk, Metrics: reg, RelistPeriod: time.Second,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })

	const n = 20
	var pods []*corev1.Pod
	for i := range n {
		p := newPod(fmt.Sprintf("p%d", i), ctr("a"), ctr("b"))
		if i == 0 {
			p.Metadata.Annotations = map[string]string{hollow.HollowRunDuration: "5s"}
			p.Spec.RestartPolicy = RestartOnFailure
		}
		srv.Add(p)
		stored, _ := clienttest.Stored[*corev1.Pod](srv, "default", p.Metadata.Name)
		stored.Metadata.CreationTimestamp = timestamppb.New(epoch.Add(-2 * time.Second))
		pods = append(pods, stored)
	}
	m.SetPods(pods)
	running := func(name string) bool {
		p, ok := clienttest.Stored[*corev1.Pod](srv, "default", name)
		return ok && p.GetStatus().GetPhase() == PhaseRunning && cond(p.GetStatus(), CondReady).GetStatus() == "True"
	}
	require.Eventually(t, func() bool {
		for i := range n {
			if !running(fmt.Sprintf("p%d", i)) {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)
	count, sum := histogram(t, reg, "kubelet_pod_start_duration_seconds")
	require.Equal(t, uint64(n), count)
	require.InDelta(t, 2.0*n, sum, 0.001, "each pod started 2s after its creation")

	clk.Step(5 * time.Second)
	require.Eventually(t, func() bool {
		p, _ := clienttest.Stored[*corev1.Pod](srv, "default", "p0")
		return p.GetStatus().GetPhase() == PhaseSucceeded
	}, 10*time.Second, 5*time.Millisecond)
	clk.Step(time.Second)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(m.metrics.runningPods) == n-1 && testutil.ToFloat64(m.metrics.runningContainers) == 2*(n-1)
	}, 10*time.Second, 5*time.Millisecond)
	relists, _ := histogram(t, reg, "kubelet_pleg_relist_duration_seconds")
	require.Positive(t, relists)

	deleted := pods[1].CloneVT()
	deleted.Metadata.DeletionTimestamp = timestamppb.New(clk.Now())
	deleted.Metadata.DeletionGracePeriodSeconds = int64p(30)
	pods[1] = deleted
	m.SetPods(pods)
	require.Eventually(t, func() bool {
		_, ok := clienttest.Stored[*corev1.Pod](srv, "default", "p1")
		return !ok
	}, 10*time.Second, 5*time.Millisecond)
}

func histogram(t *testing.T, reg *prometheus.Registry, name string) (count uint64, sum float64) {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			h := f.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatalf("no metric %s among %d families", name, len(families))
	return 0, 0
}
