package shutdown

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeNode records the shutdown's calls, in order, with the fake time of each kill.
type fakeNode struct {
	clk *clock.Fake

	mu      sync.Mutex
	calls   []string
	graces  map[string]time.Duration
	pods    []*corev1.Pod
	release map[string]chan struct{} // closed: the pod has stopped
	failMsg error
}

func newFakeNode(clk *clock.Fake, pods ...*corev1.Pod) *fakeNode {
	n := &fakeNode{clk: clk, pods: pods, graces: map[string]time.Duration{}, release: map[string]chan struct{}{}}
	for _, p := range pods {
		n.release[p.GetMetadata().GetName()] = make(chan struct{})
	}
	return n
}

func (n *fakeNode) record(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, s)
}

func (n *fakeNode) Pods() []*corev1.Pod { return n.pods }

func (n *fakeNode) KillPod(ctx context.Context, pod *corev1.Pod, grace time.Duration) error {
	name := pod.GetMetadata().GetName()
	n.mu.Lock()
	n.calls = append(n.calls, "kill "+name)
	n.graces[name] = grace
	ch := n.release[name]
	n.mu.Unlock()
	select {
	case <-ch:
		n.record("stopped " + name)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *fakeNode) StopAdmitting() { n.record("stop admitting") }

func (n *fakeNode) ShuttingDown(context.Context) error {
	n.record("not ready")
	return n.failMsg
}

// stop lets the named pod's kill return.
func (n *fakeNode) stop(name string) { close(n.release[name]) }

func (n *fakeNode) log() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

func (n *fakeNode) killed(name string) bool {
	for _, c := range n.log() {
		if c == "kill "+name {
			return true
		}
	}
	return false
}

func pod(name string, grace *int64, critical bool, phase string) *corev1.Pod {
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:     &corev1.PodSpec{TerminationGracePeriodSeconds: grace},
		Status:   &corev1.PodStatus{Phase: phase},
	}
	if critical {
		p.Spec.PriorityClassName = "system-node-critical"
	}
	return p
}

func seconds(s int64) *int64 { return &s }

// start runs a shutdown of 30s with 10s for critical pods and returns its result channel.
func start(t *testing.T, clk *clock.Fake, n *fakeNode) <-chan error {
	t.Helper()
	m := New(Config{GracePeriod: 30 * time.Second, CriticalPodsGracePeriod: 10 * time.Second, Clock: clk}, n, n)
	done := make(chan error, 1)
	go func() { done <- m.Shutdown(context.Background()) }()
	return done
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, time.Millisecond, what)
}

func TestShutdownOrder(t *testing.T) {
	clk := clock.NewFake(epoch)
	n := newFakeNode(clk,
		pod("web", seconds(60), false, "Running"),
		pod("batch", seconds(5), false, "Pending"),
		pod("dns", nil, true, "Running"),
		pod("done", nil, false, "Succeeded"),
	)
	done := start(t, clk, n)

	eventually(t, "regular pods killed", func() bool { return n.killed("web") && n.killed("batch") })
	log := n.log()
	require.Equal(t, []string{"stop admitting", "not ready"}, log[:2], "the node is marked first")
	require.False(t, n.killed("dns"), "critical pods wait for the regular ones")
	n.stop("web")
	n.stop("batch")
	eventually(t, "critical pod killed", func() bool { return n.killed("dns") })
	n.stop("dns")
	require.NoError(t, <-done)

	require.False(t, n.killed("done"), "a finished pod is left alone")
	require.Equal(t, map[string]time.Duration{
		"web":   20 * time.Second, // capped at the regular period, 30s-10s
		"batch": 5 * time.Second,  // its own, shorter
		"dns":   10 * time.Second, // the default 30s capped at the critical period
	}, n.graces)
	require.Equal(t, epoch, clk.Now(), "nothing waited for the clock")
}

func TestShutdownPeriodRunsOut(t *testing.T) {
	clk := clock.NewFake(epoch)
	n := newFakeNode(clk, pod("stuck", nil, false, "Running"), pod("dns", nil, true, "Running"))
	done := start(t, clk, n)

	eventually(t, "regular pod killed", func() bool { return n.killed("stuck") })
	require.NoError(t, clk.BlockUntilWaiters(context.Background(), 1))
	clk.Step(19 * time.Second)
	require.False(t, n.killed("dns"), "the regular period (20s) has not run out")
	clk.Step(time.Second)
	eventually(t, "critical pod killed once the regular period ran out", func() bool { return n.killed("dns") })
	require.NoError(t, clk.BlockUntilWaiters(context.Background(), 1))
	clk.Step(10 * time.Second)
	err := <-done
	require.ErrorContains(t, err, "regular pods still stopping after 20s")
	require.ErrorContains(t, err, "critical pods still stopping after 10s")
}

func TestShutdownMarksNodeEvenWithoutPods(t *testing.T) {
	clk := clock.NewFake(epoch)
	n := newFakeNode(clk)
	n.failMsg = errors.New("apiserver unreachable")
	err := <-start(t, clk, n)
	require.ErrorContains(t, err, "apiserver unreachable")
	require.Equal(t, []string{"stop admitting", "not ready"}, n.log())
}

func TestShutdownRunsOnce(t *testing.T) {
	clk := clock.NewFake(epoch)
	n := newFakeNode(clk, pod("web", nil, false, "Running"))
	m := New(Config{GracePeriod: 30 * time.Second, CriticalPodsGracePeriod: 10 * time.Second, Clock: clk}, n, n)
	first := make(chan error, 1)
	go func() { first <- m.Shutdown(context.Background()) }()
	eventually(t, "pod killed", func() bool { return n.killed("web") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, m.Shutdown(ctx), context.Canceled, "a second caller waits for the first shutdown")
	n.stop("web")
	require.NoError(t, <-first)
	require.NoError(t, m.Shutdown(context.Background()))
	kills := 0
	for _, c := range n.log() {
		if c == "kill web" {
			kills++
		}
	}
	require.Equal(t, 1, kills)
}

func TestIsCritical(t *testing.T) {
	prio := func(v int32) *int32 { return &v }
	tests := []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"plain", &corev1.Pod{Spec: &corev1.PodSpec{}}, false},
		{"cluster critical class", &corev1.Pod{Spec: &corev1.PodSpec{PriorityClassName: "system-cluster-critical"}}, true},
		{"node critical class", &corev1.Pod{Spec: &corev1.PodSpec{PriorityClassName: "system-node-critical"}}, true},
		{"other class", &corev1.Pod{Spec: &corev1.PodSpec{PriorityClassName: "high"}}, false},
		{"critical priority", &corev1.Pod{Spec: &corev1.PodSpec{Priority: prio(SystemCriticalPriority)}}, true},
		{"high priority", &corev1.Pod{Spec: &corev1.PodSpec{Priority: prio(SystemCriticalPriority - 1)}}, false},
		{"annotation", &corev1.Pod{
			Metadata: &metav1.ObjectMeta{Annotations: map[string]string{CriticalPodAnnotation: ""}},
			Spec:     &corev1.PodSpec{},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.want, IsCritical(tt.pod)) })
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name          string
		total, crit   time.Duration
		enabled       bool
		wantErrSubstr string
	}{
		{name: "disabled", enabled: false},
		{name: "both", total: 30 * time.Second, crit: 10 * time.Second, enabled: true},
		{name: "all critical", total: 10 * time.Second, crit: 10 * time.Second, enabled: true},
		{name: "critical too long", total: 10 * time.Second, crit: 20 * time.Second, wantErrSubstr: "must not exceed"},
		{name: "negative", total: -time.Second, wantErrSubstr: "--shutdown-grace-period: must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{GracePeriod: tt.total, CriticalPodsGracePeriod: tt.crit}
			err := c.Validate()
			if tt.wantErrSubstr != "" {
				require.ErrorContains(t, err, tt.wantErrSubstr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.enabled, c.Enabled())
		})
	}
}
