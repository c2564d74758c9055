package informer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func testPod(name, node string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"}, Spec: &corev1.PodSpec{NodeName: node}}
}

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		<-tick.C
	}
}

// names collects the names a handler was told of, safe for concurrent use.
type names struct {
	mu  sync.Mutex
	got map[string]bool
}

func (n *names) handler() Handler[*corev1.Pod] {
	return Handler[*corev1.Pod]{OnAdd: func(p *corev1.Pod) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.got == nil {
			n.got = map[string]bool{}
		}
		n.got[p.GetMetadata().GetName()] = true
	}}
}

func (n *names) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.got)
}

// startFactory starts f until the test ends and waits for it to stop then.
func startFactory(t *testing.T, f *Factory) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.Start(ctx)
	t.Cleanup(func() {
		cancel()
		f.Shutdown()
	})
	return ctx
}

// TestFactorySharesOneWatchPerSelection asks for pod informers as several consumers would and
// counts the lists and watches that reach the server.
func TestFactorySharesOneWatchPerSelection(t *testing.T) {
	pending := Selection{FieldSelector: "spec.nodeName="}
	tests := []struct {
		name        string
		selections  [][]Selection // one entry per consumer: the arguments it passes to For
		wantWatches int
		wantPods    []int // objects each consumer's informer holds once synced
	}{
		{name: "two consumers of every pod", selections: [][]Selection{nil, nil}, wantWatches: 1, wantPods: []int{2, 2}},
		{name: "an empty selection is no selection", selections: [][]Selection{nil, {{}}}, wantWatches: 1, wantPods: []int{2, 2}},
		{name: "a field selector is another watch", selections: [][]Selection{nil, {pending}, {pending}}, wantWatches: 2, wantPods: []int{2, 1, 1}},
		{name: "a namespace is another watch", selections: [][]Selection{{{Namespace: "default"}}, {{Namespace: "other"}}}, wantWatches: 2, wantPods: []int{2, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, testPod("bound", "node-a"), testPod("pending", ""))
			f := NewFactory(srv.Client(), FactoryOptions{})
			var infs []*Informer[*corev1.Pod]
			var seen []*names
			for _, sel := range tt.selections {
				inf := For[*corev1.Pod](f, sel...)
				n := &names{}
				inf.AddHandler(n.handler())
				infs, seen = append(infs, inf), append(seen, n)
			}
			ctx := startFactory(t, f)
			require.True(t, f.WaitForSync(ctx))
			require.True(t, f.HasSynced())
			for i, inf := range infs {
				require.Len(t, inf.Lister().List(), tt.wantPods[i], "consumer %d", i)
				eventually(t, func() bool { return seen[i].count() == tt.wantPods[i] }, "every consumer's handler hears of its pods")
			}
			require.Equal(t, tt.wantWatches, srv.Calls(clienttest.List, "pods"))
			// Each informer watches right after its list.
			eventually(t, func() bool { return srv.Calls(clienttest.Watch, "pods") >= tt.wantWatches }, "the informers watch")
			require.Equal(t, tt.wantWatches, srv.Calls(clienttest.Watch, "pods"))
			require.Equal(t, tt.wantWatches, srv.Calls(clienttest.List, "pods"))
		})
	}
}

func TestFactorySameInformerForSameSelection(t *testing.T) {
	srv := clienttest.Start(t)
	f := NewFactory(srv.Client(), FactoryOptions{})
	require.Same(t, For[*corev1.Pod](f), For[*corev1.Pod](f))
	require.Same(t, For[*corev1.Pod](f, Selection{LabelSelector: "a=b"}), For[*corev1.Pod](f, Selection{LabelSelector: "a=b"}))
	require.NotSame(t, For[*corev1.Pod](f), For[*corev1.Pod](f, Selection{LabelSelector: "a=b"}))
}

// TestFactoryStartsLateInformers makes an informer after Start: it starts at once, and
// WaitForSync covers it.
func TestFactoryStartsLateInformers(t *testing.T) {
	srv := clienttest.Start(t, testPod("p", ""), &corev1.Node{Metadata: &metav1.ObjectMeta{Name: "node-a"}})
	f := NewFactory(srv.Client(), FactoryOptions{})
	pods := For[*corev1.Pod](f)
	ctx := startFactory(t, f)
	require.True(t, f.WaitForSync(ctx))
	nodes := For[*corev1.Node](f)
	require.True(t, f.WaitForSync(ctx), "a late informer syncs too")
	require.True(t, nodes.HasSynced())
	_, ok := nodes.Lister().Get("", "node-a")
	require.True(t, ok)
	require.Len(t, pods.Lister().List(), 1)
	require.Equal(t, 1, srv.Calls(clienttest.List, "nodes"))
	eventually(t, func() bool { return srv.Calls(clienttest.Watch, "nodes") == 1 }, "the late informer watches")
}

// TestFactoryWaitForSyncBeforeStart waits for Start, and gives up when its context ends.
func TestFactoryWaitForSyncBeforeStart(t *testing.T) {
	srv := clienttest.Start(t, testPod("p", ""))
	f := NewFactory(srv.Client(), FactoryOptions{})
	For[*corev1.Pod](f)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	require.False(t, f.WaitForSync(canceled), "nothing runs yet")
	require.False(t, f.HasSynced())

	synced := make(chan bool, 1)
	waitCtx, stopWaiting := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopWaiting()
	go func() { synced <- f.WaitForSync(waitCtx) }()
	startFactory(t, f)
	require.True(t, <-synced)
}

// TestFactoryRunStopsItsInformers runs the factory as a run group member would.
func TestFactoryRunStopsItsInformers(t *testing.T) {
	srv := clienttest.Start(t, testPod("p", ""))
	f := NewFactory(srv.Client(), FactoryOptions{})
	inf := For[*corev1.Pod](f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	require.True(t, inf.WaitForSync(context.Background()))
	cancel()
	require.NoError(t, <-done)
}

var podsGVR = scheme.GroupVersionResource{Version: "v1", Resource: "pods"}

// heldInformer is a pod informer whose Run returns only once its context has ended and release
// is closed, so a test can hold a factory's Shutdown waiting.
type heldInformer struct {
	*Informer[*corev1.Pod]
	release chan struct{}
}

func (h heldInformer) Run(ctx context.Context) error {
	<-ctx.Done()
	<-h.release
	return nil
}

// TestFactoryStartsNoInformerOnceShutdownBegan asks for an informer while the factory's Run is
// stopping, as a controller starting at the end of a leadership term does: Shutdown is waiting
// for an informer that has not returned yet. The late informer is not started: starting it would
// grow the wait group Shutdown waits on, which -race reports, and run it under an ended context.
func TestFactoryStartsNoInformerOnceShutdownBegan(t *testing.T) {
	srv := clienttest.Start(t, testPod("p", ""))
	f := NewFactory(srv.Client(), FactoryOptions{})
	held := heldInformer{Informer: For[*corev1.Pod](f), release: make(chan struct{})}
	f.informers[factoryKey{gvr: podsGVR}] = held
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	cancel()
	// No synchronisation with Run's goroutine on purpose: give it time to reach Shutdown's wait,
	// let the held informer return, and ask for a new one, as an unrelated goroutine would.
	time.Sleep(50 * time.Millisecond)
	close(held.release)
	time.Sleep(50 * time.Millisecond)
	nodesKind, ok := scheme.Builtin().ByResource(scheme.GroupVersionResource{Version: "v1", Resource: "nodes"})
	require.True(t, ok)
	nodes := ForKind(f, nodesKind)
	require.NoError(t, <-done)
	f.Shutdown()
	require.False(t, nodes.HasSynced(), "the late informer never ran")
	require.Zero(t, srv.Calls(clienttest.List, "nodes"), "the late informer never listed")
}

func TestAddIndexers(t *testing.T) {
	byNode := func(p *corev1.Pod) []string { return []string{p.GetSpec().GetNodeName()} }
	tests := []struct {
		name    string
		add     map[string]IndexFunc[*corev1.Pod]
		wantErr bool
	}{
		{name: "a new index is filled from what is stored", add: map[string]IndexFunc[*corev1.Pod]{"node": byNode}},
		{name: "a taken name is refused", add: map[string]IndexFunc[*corev1.Pod]{NamespaceIndex: byNode, "node": byNode}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore[*corev1.Pod](nil)
			s.put(testPod("a", "node-1"))
			s.put(testPod("b", "node-2"))
			err := s.addIndexers(tt.add)
			if tt.wantErr {
				require.Error(t, err)
				require.Empty(t, s.ByIndex("node", "node-1"), "nothing is added when a name is taken")
				return
			}
			require.NoError(t, err)
			require.Len(t, s.ByIndex("node", "node-1"), 1)
			s.put(testPod("c", "node-1"))
			require.Len(t, s.ByIndex("node", "node-1"), 2, "later objects are indexed too")
			s.remove("default/a")
			require.Len(t, s.ByIndex("node", "node-1"), 1)
		})
	}
}
