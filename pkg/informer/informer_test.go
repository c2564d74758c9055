package informer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// changes records what a handler was told, in order.
type changes struct {
	mu  sync.Mutex
	log []string
}

func (c *changes) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log = append(c.log, s)
}

func (c *changes) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.log...)
}

func (c *changes) handler() Handler[*corev1.Pod] {
	return Handler[*corev1.Pod]{
		OnAdd:    func(p *corev1.Pod) { c.add("add " + p.GetMetadata().GetName()) },
		OnUpdate: func(_, p *corev1.Pod) { c.add("update " + p.GetMetadata().GetName()) },
		OnDelete: func(p *corev1.Pod) { c.add("delete " + p.GetMetadata().GetName()) },
	}
}

// TestRelistWhenTheVersionIsGone cuts an informer's watch, changes and compacts the store while it
// cannot watch, and checks that it relists and reports the difference.
func TestRelistWhenTheVersionIsGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := clienttest.Start(t, testPod("a", ""), testPod("b", ""))
	pods := srv.Client().Pods("default")
	clk := clock.NewFake(time.Unix(1000, 0))
	f := NewFactory(srv.Client(), FactoryOptions{Clock: clk})
	inf := For[*corev1.Pod](f)
	seen := &changes{}
	inf.AddHandler(seen.handler())
	startFactory(t, f)
	require.True(t, inf.WaitForSync(ctx))
	eventually(t, func() bool { return srv.Calls(clienttest.Watch, "pods") == 1 }, "the informer watches")

	// Watches fail from now on, so the informer waits on its clock to try again.
	srv.Intercept(func(c clienttest.Call) error {
		if c.Verb == clienttest.Watch {
			return apierrors.NewInternal(context.Canceled)
		}
		return nil
	})
	srv.EndWatches()
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	require.NoError(t, pods.Delete(ctx, "a"))
	_, err := pods.Create(ctx, testPod("c", ""))
	require.NoError(t, err)
	srv.Compact()
	srv.Intercept(nil)
	clk.Step(time.Second)

	want := []string{"add a", "add b", "delete a", "add c"}
	eventually(t, func() bool { return len(seen.snapshot()) >= len(want) }, "the handler hears of the difference")
	require.ElementsMatch(t, want[:2], seen.snapshot()[:2])
	require.ElementsMatch(t, want[2:], seen.snapshot()[2:])
	require.Equal(t, int64(2), inf.Lists())
	var names []string
	for _, p := range inf.Lister().List() {
		names = append(names, p.GetMetadata().GetName())
	}
	require.Equal(t, []string{"b", "c"}, names)
	require.Equal(t, srv.ResourceVersion(), inf.LastResourceVersion())
}

// TestSyncedWaitsForTheHandlers holds a handler inside its first add and checks that the informer
// is not synced until that handler has had the whole first list, and that a handler added after
// the list gets the store's contents without holding the informer back: a component that builds
// its own state in its handlers (the scheduler's node cache) must not act on half of it.
func TestSyncedWaitsForTheHandlers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := clienttest.Start(t, testPod("a", ""), testPod("b", ""), testPod("c", ""))
	f := NewFactory(srv.Client(), FactoryOptions{})
	inf := For[*corev1.Pod](f)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	seen := &changes{}
	inf.AddHandler(Handler[*corev1.Pod]{OnAdd: func(p *corev1.Pod) {
		if p.GetMetadata().GetName() == "a" {
			<-release
		}
		seen.add("add " + p.GetMetadata().GetName())
	}})
	quick := &changes{}
	inf.AddHandler(quick.handler())
	startFactory(t, f)
	// Registered after the factory's stop, so it runs first: a failed check must not leave the
	// handler, and with it the stop, waiting.
	t.Cleanup(unblock)

	eventually(t, func() bool { return len(quick.snapshot()) == 3 }, "the quick handler has the first list")
	require.Equal(t, 3, len(inf.Lister().List()), "the store holds the first list")
	require.False(t, inf.HasSynced(), "synced while a handler has not had the first list")
	require.True(t, inf.HasListed(), "the first list is in the store")
	require.False(t, f.HasSynced())

	unblock()
	require.True(t, inf.WaitForSync(ctx))
	require.ElementsMatch(t, []string{"add a", "add b", "add c"}, seen.snapshot(), "synced only once every handler had it all")

	late := &changes{}
	inf.AddHandler(late.handler())
	require.True(t, inf.HasSynced(), "a handler added later does not unsync the informer")
	eventually(t, func() bool { return len(late.snapshot()) == 3 }, "a late handler gets the store's contents")
}
