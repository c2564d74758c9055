package nodestatus

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// fakeNodes stores one node; Create fails while down is positive.
type fakeNodes struct {
	mu       sync.Mutex
	node     *corev1.Node
	down     int
	creates  int
	statuses []*corev1.NodeStatus
}

func (f *fakeNodes) Get(_ context.Context, name string, _ ...client.GetOptions) (*corev1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.node == nil {
		return nil, apierrors.NewNotFound("", "nodes", name)
	}
	return proto.Clone(f.node).(*corev1.Node), nil
}

func (f *fakeNodes) Create(_ context.Context, n *corev1.Node, _ ...client.CreateOptions) (*corev1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	if f.down > 0 {
		f.down--
		return nil, apierrors.NewServiceUnavailable("apiserver down")
	}
	f.node = proto.Clone(n).(*corev1.Node)
	f.node.Metadata.Uid = "uid-1"
	return proto.Clone(f.node).(*corev1.Node), nil
}

func (f *fakeNodes) Update(_ context.Context, n *corev1.Node, _ ...client.UpdateOptions) (*corev1.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.node = proto.Clone(n).(*corev1.Node)
	return proto.Clone(n).(*corev1.Node), nil
}

func (f *fakeNodes) UpdateStatus(ctx context.Context, n *corev1.Node, _ ...client.UpdateOptions) (*corev1.Node, error) {
	f.mu.Lock()
	f.statuses = append(f.statuses, proto.Clone(n.Status).(*corev1.NodeStatus))
	f.mu.Unlock()
	return f.Update(ctx, n)
}

func (f *fakeNodes) counts() (creates, statuses int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, len(f.statuses)
}

// changingMachine reports healthy figures until pressure is set.
type changingMachine struct {
	mu       sync.Mutex
	pressure bool
}

func (m *changingMachine) Read() (Figures, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := healthyFigures()
	if m.pressure {
		f.MemoryAvailable = 1 << 20
	}
	return f, nil
}

func TestReporterRegistersWithBackoffThenPostsStatus(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	nodes := &fakeNodes{down: 3}
	machine := &changingMachine{}
	r := NewReporter(Config{NodeName: "n1", Register: true, Info: testInfo(), UpdateFrequency: 10 * time.Second},
		nodes, machine, nil, clk, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	waitCreates := func(n int) {
		t.Helper()
		require.Eventually(t, func() bool { c, _ := nodes.counts(); return c == n && clk.Waiters() == 1 }, 10*time.Second, time.Millisecond)
	}
	waitCreates(1)
	for i, pause := range []time.Duration{100, 200, 400} {
		clk.Step(pause*time.Millisecond - time.Nanosecond)
		c, _ := nodes.counts()
		require.Equal(t, i+1, c, "no retry before the %v pause is over", pause)
		clk.Step(time.Nanosecond)
		if i < 2 {
			waitCreates(i + 2)
		}
	}
	select {
	case <-r.Registered():
	case <-time.After(10 * time.Second):
		t.Fatal("not registered after the apiserver came back")
	}
	require.Equal(t, "uid-1", r.Node().Metadata.Uid)
	require.Eventually(t, func() bool { _, s := nodes.counts(); return s == 1 }, 10*time.Second, time.Millisecond, "status posted at once")

	// Unchanged: checked every 2s, posted only once 10s have passed.
	for range 4 {
		require.Eventually(t, func() bool { return clk.Waiters() == 1 }, 10*time.Second, time.Millisecond)
		clk.Step(2 * time.Second)
	}
	require.Eventually(t, func() bool { return clk.Waiters() == 1 }, 10*time.Second, time.Millisecond)
	_, s := nodes.counts()
	require.Equal(t, 1, s, "no post of an unchanged status before 10s")
	clk.Step(2 * time.Second)
	require.Eventually(t, func() bool { _, s := nodes.counts(); return s == 2 }, 10*time.Second, time.Millisecond, "the periodic post")

	// A change is posted at the next check.
	machine.mu.Lock()
	machine.pressure = true
	machine.mu.Unlock()
	require.Eventually(t, func() bool { return clk.Waiters() == 1 }, 10*time.Second, time.Millisecond)
	clk.Step(2 * time.Second)
	require.Eventually(t, func() bool { _, s := nodes.counts(); return s == 3 }, 10*time.Second, time.Millisecond, "the change posted")
	nodes.mu.Lock()
	last := nodes.statuses[2]
	nodes.mu.Unlock()
	for _, c := range last.Conditions {
		if c.Type == ConditionMemoryPressure {
			require.Equal(t, "True", c.Status)
		}
	}
}
