package integration

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// recorder keeps what a handler was told, in order.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recorder) handler() informer.Handler[*corev1.Pod] {
	return informer.Handler[*corev1.Pod]{
		OnAdd: func(p *corev1.Pod) { r.add("add " + p.GetMetadata().GetName()) },
		OnUpdate: func(old, cur *corev1.Pod) {
			if old.GetMetadata().GetResourceVersion() == cur.GetMetadata().GetResourceVersion() {
				r.add("resync " + cur.GetMetadata().GetName())
				return
			}
			r.add("update " + cur.GetMetadata().GetName() + " " + old.GetSpec().GetNodeName() + "->" + cur.GetSpec().GetNodeName())
		},
		OnDelete: func(p *corev1.Pod) { r.add("delete " + p.GetMetadata().GetName()) },
	}
}

func TestInformerHandlersIndexesAndResync(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	pods := c.Pods("default")
	_, err := pods.Create(ctx, &corev1.Pod{Metadata: meta("before", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)

	fake := clock.NewFake(time.Now())
	inf := informer.New[*corev1.Pod](c.Pods(""), informer.Options[*corev1.Pod]{
		ResyncPeriod: time.Minute,
		Clock:        fake,
		Indexers: map[string]informer.IndexFunc[*corev1.Pod]{
			"node": func(p *corev1.Pod) []string { return []string{p.GetSpec().GetNodeName()} },
		},
	})
	early := &recorder{}
	inf.AddHandler(early.handler())
	running := framework.Start(t, inf)
	defer func() { require.NoError(t, running.Stop()) }()
	require.True(t, inf.WaitForSync(ctx))

	_, err = pods.Create(ctx, &corev1.Pod{Metadata: meta("after", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)
	require.NoError(t, pods.Bind(ctx, "after", "node-a"))
	require.NoError(t, pods.Delete(ctx, "before"))
	want := []string{"add before", "add after", "update after ->node-a", "delete before"}
	framework.Eventually(t, 10*time.Second, func() bool { return len(early.snapshot()) >= len(want) }, "handler sees every change")
	require.Equal(t, want, early.snapshot())

	// The lister and the index serve the local copy.
	p, ok := inf.Lister().Get("default", "after")
	require.True(t, ok)
	require.Equal(t, "node-a", p.GetSpec().GetNodeName())
	require.Len(t, inf.Lister().ByIndex("node", "node-a"), 1)
	require.Empty(t, inf.Lister().ByIndex("node", ""), "the unbound pod is gone")
	require.Len(t, inf.Lister().ListNamespace("default"), 1)

	// A handler added late first hears of everything already there.
	late := &recorder{}
	inf.AddHandler(late.handler())
	framework.Eventually(t, 10*time.Second, func() bool { return len(late.snapshot()) == 1 }, "late handler catches up")
	require.Equal(t, []string{"add after"}, late.snapshot())

	// Resync replays the store to every handler when the period passes on the informer's clock.
	require.NoError(t, fake.BlockUntilWaiters(ctx, 1))
	fake.Step(time.Minute)
	framework.Eventually(t, 10*time.Second, func() bool {
		return len(early.snapshot()) == len(want)+1 && len(late.snapshot()) == 2
	}, "resync reaches both handlers")
	require.Equal(t, "resync after", early.snapshot()[len(want)])
	require.Equal(t, "resync after", late.snapshot()[1])
}
