package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestEventRecorderAggregatesThroughTheAPI records events through a real apiserver: a repeat
// bumps the stored Event's count and lastTimestamp through a merge patch, and an event about a
// cluster-scoped node lands in the default namespace.
func TestEventRecorderAggregatesThroughTheAPI(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	createNodes(t, c, fakeNode("node-a", "4", "8Gi"))
	createPods(t, c, "default", pendingPod("web", "100m", "64Mi"))
	web, err := c.Pods("default").Get(ctx, "web")
	require.NoError(t, err)
	node, err := c.Nodes().Get(ctx, "node-a")
	require.NoError(t, err)

	start := time.Unix(1_800_000_000, 0).UTC()
	clk := clock.NewFake(start)
	r := events.New(events.Config{
		Sink: events.ClientSink{Client: c}, Component: "kubelet", Host: "node-a",
		Clock: clk, Logger: zaptest.NewLogger(t), Scheme: c.Scheme(),
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	eventsAbout := func(ns, name string) []*corev1.Event {
		list, err := c.Events(ns).List(ctx, client.ListOptions{FieldSelector: "involvedObject.name=" + name})
		require.NoError(t, err)
		return list.Items
	}
	r.Eventf(web, events.TypeWarning, "BackOff", "Back-off restarting failed container %s", "app")
	framework.Eventually(t, 10*time.Second, func() bool { return len(eventsAbout("default", "web")) == 1 }, "the first event")
	for i := 1; i <= 2; i++ {
		clk.Step(time.Second)
		r.Eventf(web, events.TypeWarning, "BackOff", "Back-off restarting failed container %s", "app")
		framework.Eventually(t, 10*time.Second, func() bool {
			evs := eventsAbout("default", "web")
			return len(evs) == 1 && evs[0].GetCount() == int32(1+i)
		}, "repeat %d bumps the count", i)
	}
	ev := eventsAbout("default", "web")[0]
	require.Equal(t, start, ev.GetFirstTimestamp().AsTime())
	require.Equal(t, start.Add(2*time.Second), ev.GetLastTimestamp().AsTime())
	require.Equal(t, "Back-off restarting failed container app", ev.GetMessage())
	require.Equal(t, "Pod", ev.GetInvolvedObject().GetKind())
	require.Equal(t, web.GetMetadata().GetUid(), ev.GetInvolvedObject().GetUid())

	r.Eventf(node, events.TypeNormal, "Starting", "Starting kubelet.")
	framework.Eventually(t, 10*time.Second, func() bool { return len(eventsAbout("default", "node-a")) == 1 }, "the node's event")
	ev = eventsAbout("default", "node-a")[0]
	require.Equal(t, "Node", ev.GetInvolvedObject().GetKind())
	require.Empty(t, ev.GetInvolvedObject().GetNamespace())
	require.Equal(t, "node-a", ev.GetSource().GetHost())
	require.Equal(t, "node-a", ev.GetReportingInstance())
}
