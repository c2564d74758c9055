package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

// TestStatusWriter runs the status writer against an in-memory API: it writes the PodScheduled
// condition a failed attempt calls for, re-reads a pod its informer holds stale, leaves bound and
// deleted pods alone, and retries a failed write after the controller's backoff.
func TestStatusWriter(t *testing.T) {
	const msg = "0/1 nodes are available: node-a: node is unschedulable"
	tests := []struct {
		name string
		pod  *corev1.Pod // stored before the writer runs; nil for none
		// fail makes the n-th UpdateStatus (from 1) fail with the error it returns, if any.
		fail func(n int64) error
		// step is how far the fake clock moves once the writer waits on it (0: it must not wait).
		step             time.Duration
		wantCondition    bool
		wantUpdates      int
		wantGets         int
		wantStillWanting bool
	}{
		{name: "writes the condition", pod: fixture.Pod("p").Obj(), wantCondition: true, wantUpdates: 1},
		{name: "a stale copy is re-read once", pod: fixture.Pod("p").Obj(),
			fail: func(n int64) error {
				if n == 1 {
					return apierrors.NewConflict("", "pods", "p", "the object has been modified")
				}
				return nil
			},
			wantCondition: true, wantUpdates: 2, wantGets: 1},
		{name: "a failed write is retried after backoff", pod: fixture.Pod("p").Obj(),
			fail: func(n int64) error {
				if n == 1 {
					return apierrors.NewInternal(context.DeadlineExceeded)
				}
				return nil
			},
			step: 5 * time.Millisecond, wantCondition: true, wantUpdates: 2},
		{name: "a bound pod is left alone", pod: fixture.Pod("p").Node("node-a").Obj()},
		{name: "a deleted pod is forgotten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var objs []*corev1.Pod
			if tt.pod != nil {
				objs = append(objs, tt.pod)
			}
			srv := clienttest.Start(t)
			for _, p := range objs {
				srv.Add(p)
			}
			var updates atomic.Int64
			srv.Intercept(func(c clienttest.Call) error {
				if c.Verb != clienttest.UpdateStatus || tt.fail == nil {
					return nil
				}
				return tt.fail(updates.Add(1))
			})
			informers := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
			pods := informer.For[*corev1.Pod](informers)
			clk := clock.NewFake(time.Unix(1000, 0))
			w := newStatusWriter(srv.Client(), pods.Lister(), clk, zaptest.NewLogger(t))

			runCtx, stop := context.WithCancel(ctx)
			informers.Start(runCtx)
			done := make(chan error, 1)
			go func() { done <- w.Run(runCtx) }()
			defer func() {
				stop()
				require.NoError(t, <-done)
				informers.Shutdown()
			}()
			require.True(t, informers.WaitForSync(ctx))

			w.set("default/p", ReasonUnschedulable, msg)
			if tt.step > 0 {
				require.NoError(t, clk.BlockUntilWaiters(ctx, 1), "the failed write waits for its backoff")
				clk.Step(tt.step)
			}
			settled := func() bool {
				w.mu.Lock()
				_, wanting := w.want["default/p"]
				w.mu.Unlock()
				return srv.Calls(clienttest.UpdateStatus, "pods") == tt.wantUpdates && wanting == tt.wantStillWanting &&
					w.queue.Len() == 0
			}
			if tt.wantCondition {
				settled = func() bool {
					p, ok := clienttest.Stored[*corev1.Pod](srv, "default", "p")
					return ok && len(p.GetStatus().GetConditions()) == 1 && srv.Calls(clienttest.UpdateStatus, "pods") == tt.wantUpdates
				}
				tt.wantStillWanting = true // kept until the pod is bound
			}
			deadline := time.Now().Add(10 * time.Second)
			for tick := time.NewTicker(time.Millisecond); !settled(); <-tick.C {
				require.True(t, time.Now().Before(deadline), "the writer did not settle")
			}
			require.Equal(t, tt.wantUpdates, srv.Calls(clienttest.UpdateStatus, "pods"))
			require.Equal(t, tt.wantGets, srv.Calls(clienttest.Get, "pods"))
			w.mu.Lock()
			_, wanting := w.want["default/p"]
			w.mu.Unlock()
			require.Equal(t, tt.wantStillWanting, wanting)
			if tt.wantCondition {
				p, _ := clienttest.Stored[*corev1.Pod](srv, "default", "p")
				c := p.GetStatus().GetConditions()[0]
				require.Equal(t, "PodScheduled", c.GetType())
				require.Equal(t, "False", c.GetStatus())
				require.Equal(t, ReasonUnschedulable, c.GetReason())
				require.Equal(t, msg, c.GetMessage())
			}
		})
	}
}
