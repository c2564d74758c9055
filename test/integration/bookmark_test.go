package integration

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func rvOf(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return n
}

func TestBookmarksCarryTheLatestVersion(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.WatchBookmarkInterval = 200 * time.Millisecond }})
	ctx := testContext(t)
	c := cl.Client()
	list, err := c.Pods("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	w, err := c.Pods("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion, AllowBookmarks: true})
	require.NoError(t, err)
	defer w.Stop()
	// Writes elsewhere move etcd's revision on; a pods watcher learns of it through bookmarks.
	cm, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("elsewhere", nil)})
	require.NoError(t, err)
	want := rvOf(t, cm.GetMetadata().GetResourceVersion())
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-w.Events():
			require.Equal(t, client.Bookmark, ev.Type, "no pod changed")
			if rvOf(t, ev.Object.GetMetadata().GetResourceVersion()) >= want {
				return
			}
		case <-deadline:
			t.Fatal("no bookmark reached the latest revision")
		}
	}
}

func TestNoBookmarksUnlessAsked(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.WatchBookmarkInterval = 50 * time.Millisecond }})
	ctx := testContext(t)
	c := cl.Client()
	w, err := c.Pods("default").Watch(ctx, client.ListOptions{ResourceVersion: "0"})
	require.NoError(t, err)
	defer w.Stop()
	_, err = c.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("p", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)
	ev := <-w.Events()
	require.Equal(t, client.Added, ev.Type)
	select {
	case ev := <-w.Events():
		t.Fatalf("unexpected %s event", ev.Type)
	case <-time.After(500 * time.Millisecond): // ten bookmark intervals
	}
}

func TestSendInitialEventsEndsWithAnnotatedBookmark(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	for _, n := range []string{"a", "b", "c"} {
		_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta(n, map[string]string{"set": "x"})})
		require.NoError(t, err)
	}
	_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("other", nil)})
	require.NoError(t, err)

	w, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{SendInitialEvents: true, LabelSelector: "set=x"})
	require.NoError(t, err)
	defer w.Stop()
	var names []string
	for ev := range w.Events() {
		if ev.Type == client.Bookmark {
			require.Equal(t, "true", ev.Object.GetMetadata().GetAnnotations()["k8s.io/initial-events-end"])
			require.NotEmpty(t, ev.Object.GetMetadata().GetResourceVersion())
			break
		}
		require.Equal(t, client.Added, ev.Type)
		names = append(names, ev.Object.GetMetadata().GetName())
	}
	require.Equal(t, []string{"a", "b", "c"}, names, "the selected state, then the bookmark")
	_, err = c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("d", map[string]string{"set": "x"})})
	require.NoError(t, err)
	// Periodic bookmarks may come at any time (the watch allows them); the next change is d's.
	ev := <-w.Events()
	for ev.Type == client.Bookmark {
		ev = <-w.Events()
	}
	require.Equal(t, client.Added, ev.Type)
	require.Equal(t, "d", ev.Object.GetMetadata().GetName(), "then the changes")
}

func TestWatchTimeoutEndsTheStream(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	start := time.Now()
	w, err := cl.Client().Pods("default").Watch(ctx, client.ListOptions{ResourceVersion: "0", TimeoutSeconds: 1})
	require.NoError(t, err)
	for range w.Events() {
	}
	require.NoError(t, w.Err())
	took := time.Since(start)
	require.GreaterOrEqual(t, took, time.Second, "not before the timeout")
	require.Less(t, took, 10*time.Second, "ended by the timeout, not by the test's deadline")
}

func TestPeriodicCompaction(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.CompactionInterval = 200 * time.Millisecond }})
	ctx := testContext(t)
	c := cl.Client()
	cm, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("v1", nil)})
	require.NoError(t, err)
	old := cm.GetMetadata().GetResourceVersion()
	_, err = c.ConfigMaps("default").Get(ctx, "v1", client.GetOptions{ResourceVersion: old})
	require.NoError(t, err, "history is there before compaction")
	// Keep writing so every interval has a newer revision to compact to.
	framework.Eventually(t, 20*time.Second, func() bool {
		_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("tick-"+strconv.FormatInt(time.Now().UnixNano(), 36), nil)})
		require.NoError(t, err)
		_, err = c.ConfigMaps("default").Get(ctx, "v1", client.GetOptions{ResourceVersion: old})
		return apierrors.IsGone(err)
	}, "the apiserver compacts etcd history on its own")
	_, err = c.ConfigMaps("default").List(ctx, client.ListOptions{ResourceVersion: old})
	require.True(t, apierrors.IsGone(err), "a list at a compacted version: %v", err)
	_, err = c.ConfigMaps("default").Get(ctx, "v1")
	require.NoError(t, err, "the current state is untouched")
}
