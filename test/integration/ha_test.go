package integration

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func TestReplicasSeeEachOthersWrites(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2})
	ctx := testContext(t)
	a, b := cl.Client(cl.Endpoint(0)), cl.Client(cl.Endpoint(1))

	w, err := b.ConfigMaps("default").Watch(ctx, client.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()
	created, err := a.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("shared", nil), Data: map[string]string{"by": "a"}})
	require.NoError(t, err)

	got, err := b.ConfigMaps("default").Get(ctx, "shared")
	require.NoError(t, err, "replica b reads what a wrote")
	require.Equal(t, created.GetMetadata().GetResourceVersion(), got.GetMetadata().GetResourceVersion())
	ev := <-w.Events()
	require.Equal(t, client.Added, ev.Type, "replica b's watchers see a's write")
	require.Equal(t, "shared", ev.Object.GetMetadata().GetName())

	got.Data["by"] = "b"
	_, err = b.ConfigMaps("default").Update(ctx, got)
	require.NoError(t, err)
	again, err := a.ConfigMaps("default").Get(ctx, "shared")
	require.NoError(t, err)
	require.Equal(t, "b", again.Data["by"], "replica a reads what b wrote")
}

func TestClientSurvivesAReplicaDying(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2})
	ctx := testContext(t)
	c := cl.Client() // both endpoints
	cms := c.ConfigMaps("default")

	write := func(i int) {
		t.Helper()
		name := fmt.Sprintf("cm-%d", i)
		cm, err := cms.Create(ctx, &corev1.ConfigMap{Metadata: meta(name, nil), Data: map[string]string{"v": "1"}})
		require.NoError(t, err, "create %s", name)
		cm.Data["v"] = "2"
		_, err = cms.Update(ctx, cm)
		require.NoError(t, err, "update %s", name)
	}
	read := func() int {
		t.Helper()
		list, err := cms.List(ctx, client.ListOptions{})
		require.NoError(t, err, "list")
		return len(list.Items)
	}
	for i := 0; i < 20; i++ {
		write(i)
		require.Equal(t, i+1, read())
	}
	// Kill replica 0 while calls are flowing: reads never fail, writes land exactly once.
	cl.KillAPIServer(0)
	for i := 20; i < 60; i++ {
		write(i)
		require.Equal(t, i+1, read())
		_, err := cms.Get(ctx, fmt.Sprintf("cm-%d", i))
		require.NoError(t, err, "get after the kill")
	}
	// The dead replica comes back and takes traffic again.
	cl.StartAPIServer(0)
	only0 := cl.Client(cl.Endpoint(0))
	require.Equal(t, 60, func() int {
		list, err := only0.ConfigMaps("default").List(ctx, client.ListOptions{})
		require.NoError(t, err)
		return len(list.Items)
	}())
}

// A client given an endpoint that never answers, next to a live one, works from its first call:
// the dead endpoint never becomes ready and the balancer skips it.
func TestClientSkipsAnEndpointThatIsDownFromTheStart(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	require.NoError(t, dead.Close()) // nothing listens there now
	c := cl.Client(deadAddr, cl.Endpoint(0))
	for i := 0; i < 20; i++ {
		_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta(fmt.Sprintf("cm-%d", i), nil)})
		require.NoError(t, err)
		_, err = c.Namespaces().Get(ctx, "default")
		require.NoError(t, err)
	}
}
