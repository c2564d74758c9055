package integration

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/test/framework"
)

// The default deployment runs etcd inside the apiserver and talks to it in-process: every verb,
// watches, and a restart on the same data directory with watches resuming from before it, work the
// same there.
func TestEmbeddedEtcdServesTheAPIInProcess(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 1, EmbeddedEtcd: true})
	c := cl.Client()
	t.Run("ConfigMap", func(t *testing.T) { crud(t, c, "default", configMapFixture()) })
	t.Run("Pod", func(t *testing.T) { crud(t, c, "default", podFixture()) })

	ctx := testContext(t)
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	w, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	want := writeChanges(t, c, "embedded", 5)
	sameChanges(t, want, collect(t, w, len(want)))
	w.Stop()

	cl.StopAPIServer(0)
	cl.StartAPIServer(0)
	got, err := c.ConfigMaps("default").Get(ctx, "embedded-1")
	require.NoError(t, err, "the data outlives the apiserver")
	require.Equal(t, "updated", got.Data["i"])
	_, err = c.ConfigMaps("default").Get(ctx, "embedded-0")
	require.True(t, apierrors.IsNotFound(err))

	// The restarted cache replays the member's history: a watch from before the restart sees
	// every change again, in order.
	w, err = c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	sameChanges(t, want, collect(t, w, len(want)))
	w.Stop()
}
