package nodestatus

import (
	"context"
	"strconv"
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

// UpdateStatus stores the status and stamps the node with the number of statuses posted, so a test
// can tell when the reporter has taken in the answer to its post.
func (f *fakeNodes) UpdateStatus(ctx context.Context, n *corev1.Node, _ ...client.UpdateOptions) (*corev1.Node, error) {
	f.mu.Lock()
	f.statuses = append(f.statuses, proto.Clone(n.Status).(*corev1.NodeStatus))
	n = proto.Clone(n).(*corev1.Node)
	n.Metadata.ResourceVersion = strconv.Itoa(len(f.statuses))
	f.mu.Unlock()
	return f.Update(ctx, n)
}

func (f *fakeNodes) counts() (creates, statuses int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, len(f.statuses)
}

// changingMachine reports healthy figures until pressure is set, and counts its reads: a read starts
// each status check, so a test that sees read n+1 knows check n has finished.
type changingMachine struct {
	mu       sync.Mutex
	pressure bool
	reads    int
	// onRead, when set, runs at every read (under mu).
	onRead func()
}

func (m *changingMachine) Read() (Figures, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reads++
	if m.onRead != nil {
		m.onRead()
	}
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

	// The reporter's checks run on a ticker that waits for the clock all the time, so the number of
	// waiters says nothing about whether a check is done. posted(n) waits until the reporter has
	// recorded the answer to its n-th post; checked steps the clock to the next check and waits until
	// that check has read the machine, and so has taken its time (a check takes the time first).
	posted := func(n int, msg string) {
		t.Helper()
		require.Eventually(t, func() bool { return r.Node().GetMetadata().GetResourceVersion() == strconv.Itoa(n) },
			10*time.Second, time.Millisecond, msg)
	}
	reads := func() int { machine.mu.Lock(); defer machine.mu.Unlock(); return machine.reads }
	checked := func() {
		t.Helper()
		before := reads()
		clk.Step(2 * time.Second)
		require.Eventually(t, func() bool { return reads() > before }, 10*time.Second, time.Millisecond)
	}
	posted(1, "status posted at once")

	// Unchanged: checked every 2s, posted only once 10s have passed. Each read records how many
	// posts the checks before it made.
	var seen []int
	machine.mu.Lock()
	machine.onRead = func() { _, s := nodes.counts(); seen = append(seen, s) }
	machine.mu.Unlock()
	for range 5 {
		checked()
	}
	posted(2, "the periodic post at 10s")
	machine.mu.Lock()
	require.Equal(t, []int{1, 1, 1, 1, 1}, seen, "no post of an unchanged status before 10s")
	machine.onRead = nil
	machine.mu.Unlock()

	// A change is posted at the next check.
	machine.mu.Lock()
	machine.pressure = true
	machine.mu.Unlock()
	checked()
	posted(3, "the change posted")
	nodes.mu.Lock()
	last := nodes.statuses[2]
	nodes.mu.Unlock()
	for _, c := range last.Conditions {
		if c.Type == ConditionMemoryPressure {
			require.Equal(t, "True", c.Status)
		}
	}
}

func TestReporterShuttingDown(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	nodes := &fakeNodes{}
	r := NewReporter(Config{NodeName: "n1", Register: true, Info: testInfo(), UpdateFrequency: 10 * time.Second},
		nodes, &changingMachine{}, nil, clk, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	<-r.Registered()
	require.Eventually(t, func() bool { _, s := nodes.counts(); return s >= 1 }, 10*time.Second, time.Millisecond)

	require.NoError(t, r.ShuttingDown(context.Background()), "the status is posted at once, without waiting for a check")
	ready := func() *corev1.NodeCondition {
		n, err := nodes.Get(context.Background(), "n1")
		require.NoError(t, err)
		for _, c := range n.GetStatus().GetConditions() {
			if c.GetType() == ConditionReady {
				return c
			}
		}
		return nil
	}
	c := ready()
	require.Equal(t, "False", c.GetStatus())
	require.Equal(t, "KubeletNotReady", c.GetReason())
	require.Equal(t, ShutdownMessage, c.GetMessage())

	clk.Step(10 * time.Second) // the periodic post keeps the node not ready
	require.Eventually(t, func() bool { _, s := nodes.counts(); return s >= 3 }, 10*time.Second, time.Millisecond)
	require.Equal(t, "False", ready().GetStatus())
}
