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
