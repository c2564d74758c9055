package pods

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// harness runs a Manager on a fake runtime, a fake clock and an in-memory API server.
type harness struct {
	t      *testing.T
	clk    *clock.Fake
	rt     *fakeRuntime
	srv    *clienttest.Server
	m      *Manager
	events *eventLog

	mu   sync.Mutex
	pods map[string]*corev1.Pod // the desired set, by name

	stop func()
}

// eventLog records events as "<reason>: <message>".
type eventLog struct {
	mu   sync.Mutex
	list []string
}

func (l *eventLog) Eventf(_ scheme.Object, _, reason, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, reason+": "+sprintf(format, args...))
}

func (l *eventLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.list...)
}

func newHarness(t *testing.T, tune func(*Config), objs ...scheme.Object) *harness {
	t.Helper()
	clk := clock.NewFake(epoch)
	h := &harness{t: t, clk: clk, rt: newFakeRuntime(clk), srv: clienttest.Start(t, objs...), events: &eventLog{}, pods: map[string]*corev1.Pod{}}
	h.start(tune)
	return h
}

// start runs a new Manager on the harness's runtime and server (again, after stop: a restart).
func (h *harness) start(tune func(*Config)) {
	h.t.Helper()
	cfg := Config{
		Runtime: h.rt, Client: h.srv.Client(), NodeName: "node-1", NodeIP: "127.0.0.1", Clock: h.clk,
		Recorder: h.events, PodLogRoot: "/logs", RelistPeriod: time.Second, StatusRetryPeriod: time.Second,
	}
	if tune != nil {
		tune(&cfg)
	}
	m, err := New(cfg)
	require.NoError(h.t, err)
	h.m = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		require.NoError(h.t, <-done)
	}
	h.t.Cleanup(h.stop)
}

// add stores pod in the API server (giving it a UID) and adds it to the desired set.
func (h *harness) add(pod *corev1.Pod) *corev1.Pod {
	h.t.Helper()
	h.srv.Add(pod)
	stored, ok := clienttest.Stored[*corev1.Pod](h.srv, pod.GetMetadata().GetNamespace(), pod.GetMetadata().GetName())
	require.True(h.t, ok)
	h.set(stored)
	return stored
}

// set puts pod into the desired set (replacing one of the same name) and hands the set over.
func (h *harness) set(pod *corev1.Pod) {
	h.mu.Lock()
	h.pods[pod.GetMetadata().GetName()] = pod
	h.mu.Unlock()
	h.sync()
}

// drop takes the named pod out of the desired set.
func (h *harness) drop(name string) {
	h.mu.Lock()
	delete(h.pods, name)
	h.mu.Unlock()
	h.sync()
}

func (h *harness) sync() {
	h.mu.Lock()
	var list []*corev1.Pod
	for _, p := range h.pods {
		list = append(list, p)
	}
	h.mu.Unlock()
	h.m.SetPods(list)
}

// status is the named pod's status as the manager reports it.
func (h *harness) status(name string) *corev1.PodStatus {
	for _, p := range h.m.Pods() {
		if p.GetMetadata().GetName() == name {
			return p.GetStatus()
		}
	}
	return nil
}

// apiStatus is the named pod's status as the API server holds it, nil if the pod is gone.
func (h *harness) apiStatus(name string) *corev1.PodStatus {
	p, ok := clienttest.Stored[*corev1.Pod](h.srv, "default", name)
	if !ok {
		return nil
	}
	return p.GetStatus()
}

// inAPI reports whether the API server holds the named pod.
func (h *harness) inAPI(name string) bool {
	_, ok := clienttest.Stored[*corev1.Pod](h.srv, "default", name)
	return ok
}

// eventually waits (in real time) until cond holds for the named pod's manager status.
func (h *harness) eventually(name, what string, cond func(*corev1.PodStatus) bool) {
	h.t.Helper()
	require.Eventuallyf(h.t, func() bool { return cond(h.status(name)) }, 10*time.Second, 2*time.Millisecond,
		"pod %s never got %s; last status: %v", name, what, h.status(name))
}

// eventuallyAPI waits until cond holds for the named pod's status in the API server.
func (h *harness) eventuallyAPI(name, what string, cond func(*corev1.PodStatus) bool) {
	h.t.Helper()
	require.Eventuallyf(h.t, func() bool { return cond(h.apiStatus(name)) }, 10*time.Second, 2*time.Millisecond,
		"pod %s never got %s in the API; last status: %v", name, what, h.apiStatus(name))
}

// relist moves the clock one relist period so that the manager notices runtime changes.
func (h *harness) relist() { h.clk.Step(time.Second) }

func phase(want string) func(*corev1.PodStatus) bool {
	return func(st *corev1.PodStatus) bool { return st.GetPhase() == want }
}

func containerStatus(st *corev1.PodStatus, name string) *corev1.ContainerStatus {
	if cs := findStatus(st.GetContainerStatuses(), name); cs != nil {
		return cs
	}
	return findStatus(st.GetInitContainerStatuses(), name)
}

func cond(st *corev1.PodStatus, typ string) *corev1.PodCondition {
	for _, c := range st.GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

func newPod(name string, containers ...*corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:     &corev1.PodSpec{NodeName: "node-1", Containers: containers},
	}
}

func ctr(name string) *corev1.Container {
	return &corev1.Container{Name: name, Image: "img-" + name}
}

func exitsWith(code int32) run { return run{exits: true, code: code} }
