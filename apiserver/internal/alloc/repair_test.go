package alloc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

func TestRepair(t *testing.T) {
	ctx := context.Background()
	cli := startEtcd(t)
	h := newServices(t, cli, "127.96.0.0/29", "30000-30003")
	st := storage.New(cli, storage.NewCodec(scheme.Builtin()), storage.Options{})
	var problems []Problem
	r := &Repair{Services: h, Storage: st, Prefix: "/registry/services/", Clock: clock.RealClock{}, Logger: zap.NewNop(),
		Report: func(_ context.Context, p Problem) { problems = append(problems, p) }}
	store := func(name, ip string, nodePorts ...int32) {
		t.Helper()
		_, err := st.Create(ctx, "/registry/services/default/"+name, svc(name, "NodePort", ip, nodePorts...))
		require.NoError(t, err)
	}

	// A stored service the bitmap lacks (written before its allocation was, or by a replica
	// that lost it) is marked.
	store("unmarked", "127.96.0.2", 30000)
	// A leak: marked, held by no service.
	require.NoError(t, h.IPs.Update(ctx, func(b *Bitmap) error { b.Set(4); return nil }))
	require.NoError(t, h.Ports.Update(ctx, func(b *Bitmap) error { b.Set(3); return nil }))
	// Two services on one IP and one port, and one outside the range.
	store("dup-a", "127.96.0.3", 30001)
	store("dup-b", "127.96.0.3", 30001)
	store("outside", "127.96.1.1", 40000)

	for run := 1; run <= leakRuns; run++ {
		require.NoError(t, r.RunOnce(ctx))
		if run < leakRuns {
			require.Equal(t, []int{1, 2, 4}, used(t, h.IPs), "run %d: the leak is kept a while, in case its create is in flight", run)
			require.Equal(t, []int{0, 1, 3}, used(t, h.Ports), "run %d", run)
		}
	}
	require.Equal(t, []int{1, 2}, used(t, h.IPs), "the leaked IP is freed")
	require.Equal(t, []int{0, 1}, used(t, h.Ports), "the leaked port is freed")

	reasons := map[string]int{}
	for _, p := range problems {
		reasons[p.Reason]++
	}
	require.Equal(t, map[string]int{
		"ClusterIPAlreadyAllocated": leakRuns, "PortAlreadyAllocated": leakRuns,
		"ClusterIPOutOfRange": leakRuns, "PortOutOfRange": leakRuns,
	}, reasons, "every run reports each problem")

	// The next allocation sees the repaired bitmap even through a stale cache.
	s := svc("new", "ClusterIP", "127.96.0.5")
	require.NoError(t, create(t, h, s, true))
	require.Equal(t, []int{1, 2, 4}, used(t, h.IPs))
}
