package nodeipam

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func node(name string, cidrs ...string) *corev1.Node {
	n := &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.NodeSpec{PodCidrs: cidrs}}
	if len(cidrs) > 0 {
		n.Spec.PodCidr = cidrs[0]
	}
	return n
}

// run starts a controller with ranges over a fake API holding objs.
func run(t *testing.T, ranges []Range, objs ...scheme.Object) (*clienttest.Server, *clock.Fake, context.Context) {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	ctl, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), Options{Ranges: ranges})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan error, 1)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		f.Shutdown()
	})
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
	go func() { done <- ctl.Run(ctx, 2) }()
	return srv, clk, ctx
}

// cidrsOf waits until node name holds want pod CIDRs (none when want is empty, checked once).
func cidrsOf(t *testing.T, srv *clienttest.Server, name string, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		n, ok := clienttest.Stored[*corev1.Node](srv, "", name)
		if !ok {
			return false
		}
		got := n.GetSpec().GetPodCidrs()
		if len(want) == 0 {
			return len(got) == 0
		}
		return len(got) == len(want) && got[0] == want[0] && n.GetSpec().GetPodCidr() == want[0] &&
			(len(want) < 2 || got[1] == want[1])
	}, 10*time.Second, 5*time.Millisecond, "node %s holds %v", name, want)
}

func v4(cluster string, mask int) Range {
	return Range{Cluster: netip.MustParsePrefix(cluster), MaskBits: mask}
}

// TestAllocatesRecoversAndReleases starts with a node already holding the first of two ranges:
// a new node gets the second, a third none until the second node is deleted.
func TestAllocatesRecoversAndReleases(t *testing.T) {
	srv, clk, ctx := run(t, []Range{v4("10.244.0.0/23", 24)}, node("old", "10.244.0.0/24"), node("a"))
	c := srv.Client()
	cidrsOf(t, srv, "a", "10.244.1.0/24")
	cidrsOf(t, srv, "old", "10.244.0.0/24")

	_, err := c.Nodes().Create(ctx, node("b"))
	require.NoError(t, err)
	cidrsOf(t, srv, "b") // both ranges are taken

	require.NoError(t, c.Nodes().Delete(ctx, "a"))
	// b's retry waits for its backoff, on the fake clock.
	require.Eventually(t, func() bool {
		clk.Step(time.Second)
		n, ok := clienttest.Stored[*corev1.Node](srv, "", "b")
		return ok && n.GetSpec().GetPodCidr() != ""
	}, 10*time.Second, 5*time.Millisecond)
	cidrsOf(t, srv, "b", "10.244.1.0/24")
}

func TestDualStack(t *testing.T) {
	srv, _, ctx := run(t, []Range{v4("10.244.0.0/16", 24), v4("fd00:10::/48", 64)}, node("a"))
	cidrsOf(t, srv, "a", "10.244.0.0/24", "fd00:10::/64")
	_, err := srv.Client().Nodes().Create(ctx, node("b"))
	require.NoError(t, err)
	cidrsOf(t, srv, "b", "10.244.1.0/24", "fd00:10:0:1::/64")
}

func TestNewRefusesBadRanges(t *testing.T) {
	srv := clienttest.Start(t)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	_, err := New(srv.Client(), f, nil, nil, nil, Options{})
	require.Error(t, err)
	_, err = New(srv.Client(), f, nil, nil, nil, Options{Ranges: []Range{v4("10.0.0.0/16", 24), v4("10.1.0.0/16", 24)}})
	require.Error(t, err)
}
