package lease

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
)

// fakeLeases is an in-memory Lease store that records when it was called and fails while failing
// is positive.
type fakeLeases struct {
	clock *clock.Fake

	mu      sync.Mutex
	stored  *coordinationv1.Lease
	calls   []time.Time
	failing int
}

func (f *fakeLeases) call() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, f.clock.Now())
	if f.failing > 0 {
		f.failing--
		return apierrors.NewServiceUnavailable("apiserver down")
	}
	return nil
}

func (f *fakeLeases) Get(_ context.Context, name string, _ ...client.GetOptions) (*coordinationv1.Lease, error) {
	if err := f.call(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stored == nil {
		return nil, apierrors.NewNotFound("coordination.k8s.io", "leases", name)
	}
	return proto.Clone(f.stored).(*coordinationv1.Lease), nil
}

func (f *fakeLeases) Create(_ context.Context, l *coordinationv1.Lease, _ ...client.CreateOptions) (*coordinationv1.Lease, error) {
	if err := f.call(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stored = proto.Clone(l).(*coordinationv1.Lease)
	return proto.Clone(l).(*coordinationv1.Lease), nil
}

func (f *fakeLeases) Update(ctx context.Context, l *coordinationv1.Lease, _ ...client.UpdateOptions) (*coordinationv1.Lease, error) {
	return f.Create(ctx, l)
}

func (f *fakeLeases) snapshot() (*coordinationv1.Lease, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return proto.Clone(f.stored).(*coordinationv1.Lease), append([]time.Time(nil), f.calls...)
}

func (f *fakeLeases) fail(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = n
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond, "waiting for %s", what)
}

// stepUntilCall moves the fake clock forward in 100ms steps until the controller makes another
// call, and returns how far the clock moved.
func stepUntilCall(t *testing.T, clk *clock.Fake, f *fakeLeases) time.Duration {
	t.Helper()
	_, before := f.snapshot()
	var moved time.Duration
	for moved < time.Minute {
		waitFor(t, func() bool { return clk.Waiters() == 1 }, "the controller to wait on the clock")
		clk.Step(100 * time.Millisecond)
		moved += 100 * time.Millisecond
		waitFor(t, func() bool { return clk.Waiters() == 1 }, "the controller to wait on the clock again")
		if _, calls := f.snapshot(); len(calls) > len(before) {
			return moved
		}
	}
	t.Fatal("no call within a minute of fake time")
	return 0
}

func TestRenewOnScheduleAndBackOffOnFailures(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	f := &fakeLeases{clock: clk}
	var uid atomic.Value
	uid.Store("")
	c := New(Config{NodeName: "n1", NodeUID: func() string { return uid.Load().(string) }}, f, clk, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	waitFor(t, func() bool { l, _ := f.snapshot(); return l != nil }, "the lease to be created")
	l, _ := f.snapshot()
	require.Equal(t, "n1", l.Spec.GetHolderIdentity())
	require.Equal(t, int32(40), l.Spec.GetLeaseDurationSeconds())
	require.Equal(t, Namespace, l.Metadata.Namespace)
	require.Empty(t, l.Metadata.OwnerReferences, "no owner while the node's UID is unknown")

	uid.Store("node-uid")
	t.Run("renewed every 10s", func(t *testing.T) {
		for range 3 {
			require.Equal(t, 10*time.Second, stepUntilCall(t, clk, f))
		}
		l, _ := f.snapshot()
		require.Equal(t, clk.Now(), l.Spec.RenewTime.AsTime())
		require.Equal(t, "node-uid", l.Metadata.OwnerReferences[0].Uid)
		require.Equal(t, "Node", l.Metadata.OwnerReferences[0].Kind)
	})

	t.Run("backoff from 200ms doubling to 7s", func(t *testing.T) {
		f.fail(9)
		require.Equal(t, 10*time.Second, stepUntilCall(t, clk, f), "the scheduled renewal fails")
		want := []time.Duration{200, 400, 800, 1600, 3200, 6400, 7000, 7000}
		for i, w := range want {
			require.Equal(t, w*time.Millisecond, stepUntilCall(t, clk, f), "retry %d", i)
		}
		// The ninth failure was the last; the retry after it succeeds (a read, then the update).
		require.Equal(t, 7*time.Second, stepUntilCall(t, clk, f))
		waitFor(t, func() bool { l, _ := f.snapshot(); return l.Spec.RenewTime.AsTime().Equal(clk.Now()) }, "renewal after recovery")
		require.Equal(t, 10*time.Second, stepUntilCall(t, clk, f), "back on schedule after a success")
		f.fail(1)
		require.Equal(t, 10*time.Second, stepUntilCall(t, clk, f))
		require.Equal(t, 200*time.Millisecond, stepUntilCall(t, clk, f), "backoff starts over")
	})
}

func TestRunStopsWithItsContext(t *testing.T) {
	clk := clock.NewFake(time.Now())
	f := &fakeLeases{clock: clk, failing: 1 << 30}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(Config{NodeName: "n1"}, f, clk, zaptest.NewLogger(t)).Run(ctx) }()
	waitFor(t, func() bool { return clk.Waiters() == 1 }, "a retry pause")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
