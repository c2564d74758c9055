package integration

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// change is one write as the writer saw it.
type change struct {
	typ  client.EventType
	name string
	rv   string
}

// writeChanges creates, updates and deletes config maps and returns each write in order.
func writeChanges(t *testing.T, c *client.Client, prefix string, n int) []change {
	t.Helper()
	ctx := testContext(t)
	cms := c.ConfigMaps("default")
	var out []change
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		cm, err := cms.Create(ctx, &corev1.ConfigMap{Metadata: meta(name, nil), Data: map[string]string{"i": strconv.Itoa(i)}})
		require.NoError(t, err)
		out = append(out, change{client.Added, name, cm.GetMetadata().GetResourceVersion()})
		cm.Data["i"] = "updated"
		cm, err = cms.Update(ctx, cm)
		require.NoError(t, err)
		out = append(out, change{client.Modified, name, cm.GetMetadata().GetResourceVersion()})
		if i%2 == 0 {
			require.NoError(t, cms.Delete(ctx, name))
			out = append(out, change{client.Deleted, name, ""})
		}
	}
	return out
}

// collect reads n non-bookmark events from w.
func collect(t *testing.T, w *client.Watcher[*corev1.ConfigMap], n int) []change {
	t.Helper()
	var got []change
	timeout := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case ev, ok := <-w.Events():
			require.True(t, ok, "watch ended early after %d events: %v", len(got), w.Err())
			if ev.Type == client.Bookmark {
				continue
			}
			got = append(got, change{ev.Type, ev.Object.GetMetadata().GetName(), ev.Object.GetMetadata().GetResourceVersion()})
		case <-timeout:
			t.Fatalf("got %d of %d events", len(got), n)
		}
	}
	return got
}

// sameChanges compares event types and names, and resourceVersions where the writer knew them.
func sameChanges(t *testing.T, want, got []change) {
	t.Helper()
	require.Len(t, got, len(want))
	last := int64(0)
	for i := range want {
		require.Equal(t, want[i].typ, got[i].typ, "event %d", i)
		require.Equal(t, want[i].name, got[i].name, "event %d", i)
		if want[i].rv != "" {
			require.Equal(t, want[i].rv, got[i].rv, "event %d", i)
		}
		rv, err := strconv.ParseInt(got[i].rv, 10, 64)
		require.NoError(t, err)
		require.Greater(t, rv, last, "event %d out of order", i)
		last = rv
	}
}

func TestWatchFromVersionSeesEveryLaterChangeInOrder(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	writeChanges(t, c, "before", 3)
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)

	w, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	defer w.Stop()
	want := writeChanges(t, c, "after", 20)
	sameChanges(t, want, collect(t, w, len(want)))
}

func TestWatchResumesAcrossAPIServerRestart(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	w, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	first := writeChanges(t, c, "one", 5)
	got := collect(t, w, len(first))
	sameChanges(t, first, got)
	// More changes happen that this watcher never reads before its apiserver goes away.
	second := writeChanges(t, c, "two", 5)
	w.Stop()
	cl.StopAPIServer(0)
	cl.StartAPIServer(0)

	w, err = c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: got[len(got)-1].rv})
	require.NoError(t, err, "resume from the last version seen")
	defer w.Stop()
	third := writeChanges(t, c, "three", 5)
	want := append(second, third...)
	sameChanges(t, want, collect(t, w, len(want)))
}

func TestWatchOfExpiredVersionIsGone(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.WatchCacheSize = 10 }})
	c := cl.Client()
	ctx := testContext(t)
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	writeChanges(t, c, "churn", 10) // 25 events, more than the cache keeps

	_, err = c.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.True(t, apierrors.IsGone(err), "expired version: %v", err)

	// After etcd compaction, a restarted apiserver cannot serve older versions either, and a list
	// at a compacted version is Gone too.
	rev, err := strconv.ParseInt(list.ResourceVersion, 10, 64)
	require.NoError(t, err)
	latest, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	lrev, _ := strconv.ParseInt(latest.ResourceVersion, 10, 64)
	_, err = cl.EtcdClient().Compact(ctx, lrev)
	require.NoError(t, err)
	_, err = c.ConfigMaps("default").List(ctx, client.ListOptions{ResourceVersion: strconv.FormatInt(rev+1, 10)})
	require.True(t, apierrors.IsGone(err), "list at a compacted version: %v", err)
}

func TestInformerRelistsAfterGoneAndConverges(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2, Configure: func(c *server.Config) { c.WatchCacheSize = 20 }})
	ctx := testContext(t)
	writer := cl.Client(cl.Endpoint(1))
	reader := cl.Client(cl.Endpoint(0))
	writeChanges(t, writer, "seed", 4)

	inf := informer.New[*corev1.ConfigMap](reader.ConfigMaps("default"), informer.Options[*corev1.ConfigMap]{})
	running := framework.Start(t, inf)
	defer func() { require.NoError(t, running.Stop()) }()
	require.True(t, inf.WaitForSync(ctx))
	require.EqualValues(t, 1, inf.Lists())

	// While the informer's apiserver is down, history moves on and is compacted away.
	cl.KillAPIServer(0)
	writeChanges(t, writer, "while-down", 20)
	latest, err := writer.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	rev, _ := strconv.ParseInt(latest.ResourceVersion, 10, 64)
	_, err = cl.EtcdClient().Compact(ctx, rev)
	require.NoError(t, err)
	cl.StartAPIServer(0)

	framework.Eventually(t, 30*time.Second, func() bool {
		if inf.Lists() < 2 {
			return false
		}
		want, err := writer.ConfigMaps("default").List(ctx, client.ListOptions{})
		if err != nil || len(want.Items) != inf.Store().Len() {
			return false
		}
		for _, cm := range want.Items {
			got, ok := inf.Lister().Get("default", cm.GetMetadata().GetName())
			if !ok || got.GetMetadata().GetResourceVersion() != cm.GetMetadata().GetResourceVersion() {
				return false
			}
		}
		return true
	}, "informer relists after Gone and converges to the server's state")
}

// A client that learned a revision elsewhere (another replica, another resource) may watch from
// it on a replica whose cache of a quiet resource has not seen that revision: the cache asks etcd
// where it stands instead of waiting for the next bookmark tick.
func TestWatchFromANewerRevisionOfAQuietResourceStartsPromptly(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2, Configure: func(c *server.Config) { c.WatchBookmarkInterval = time.Hour }})
	ctx := testContext(t)
	a, b := cl.Client(cl.Endpoint(0)), cl.Client(cl.Endpoint(1))
	cm, err := b.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("elsewhere", nil)})
	require.NoError(t, err)

	start := time.Now()
	w, err := a.Pods("default").Watch(ctx, client.ListOptions{ResourceVersion: cm.GetMetadata().GetResourceVersion()})
	require.NoError(t, err, "a revision etcd has reached is servable")
	defer w.Stop()
	require.Less(t, time.Since(start), 2*time.Second, "no wait for a bookmark tick an hour away (nor the 3s freshness timeout)")

	_, err = b.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("p", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)
	ev := <-w.Events()
	require.Equal(t, client.Added, ev.Type)
}
