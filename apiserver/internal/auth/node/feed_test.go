package node

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/registry/registrytest"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestFeedKeepsTheGraphCurrent(t *testing.T) {
	reg, ctx := registrytest.Start(t)
	pods := registrytest.Store(t, reg, "pods")
	registrytest.Namespace(ctx, t, reg, "ns")
	newPod := func(name, node string) *corev1.Pod {
		p := podOn("ns", name, node)
		p.Metadata.Uid = ""
		p.Spec.Containers[0].Image = "img"
		for _, c := range p.Spec.InitContainers {
			c.Image = "img"
		}
		return p
	}
	// One pod exists before the feed starts, so the first list must find it.
	_, err := pods.Create(ctx, "ns", newPod("early", "a"), registry.CreateOptions{})
	require.NoError(t, err)

	g := NewGraph()
	feed := NewFeed(g, pods, nil)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(runCtx) }()
	defer func() {
		stop()
		require.NoError(t, <-done)
	}()
	select {
	case <-feed.Synced():
	case <-ctx.Done():
		t.Fatal("the feed never synced")
	}
	require.True(t, g.NodeReferences("a", KindSecret, "ns", "early-vol"))

	eventually := func(msg string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, 10*time.Second, 5*time.Millisecond, msg)
	}
	_, err = pods.Create(ctx, "ns", newPod("late", "b"), registry.CreateOptions{})
	require.NoError(t, err)
	eventually("a created pod's secret", func() bool { return g.NodeReferences("b", KindSecret, "ns", "late-vol") })

	zero := int64(0)
	_, _, err = pods.Delete(ctx, "ns", "late", registry.DeleteOptions{GracePeriodSeconds: &zero})
	require.NoError(t, err)
	eventually("a deleted pod's secret goes", func() bool { return !g.NodeReferences("b", KindSecret, "ns", "late-vol") })
	require.True(t, g.NodeReferences("a", KindSecret, "ns", "early-vol"))
}
