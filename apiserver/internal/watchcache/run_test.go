package watchcache

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestRunTicksBookmarksOnItsClock runs a cache on a real etcd and a fake clock: bookmarks reach
// the watchers that asked for them when, and only when, the clock passes the bookmark interval.
func TestRunTicksBookmarksOnItsClock(t *testing.T) {
	e, _ := etcdtest.Start(t)
	cli := v3client.New(e.Server)
	t.Cleanup(func() { _ = cli.Close() })
	st := storage.New(cli, storage.NewCodec(scheme.Builtin()), storage.Options{Local: e.Server.Watchable()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Written before the cache starts, so that its replay reaches the current revision on its own.
	rev, err := st.Create(ctx, testPrefix+"default/a", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "a", Namespace: "default"}})
	require.NoError(t, err)

	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	c := New(Config{
		Resource:         "configmaps",
		Prefix:           testPrefix,
		Store:            st,
		New:              func() scheme.Object { return &corev1.ConfigMap{} },
		Fields:           func(scheme.Object) map[string]string { return nil },
		BookmarkInterval: time.Minute,
		Clock:            fake,
	})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	require.NoError(t, c.WaitReady(ctx))

	with, err := c.Watch(ctx, WatchOptions{Revision: rev, Bookmarks: true})
	require.NoError(t, err)
	defer with.Stop()
	without, err := c.Watch(ctx, WatchOptions{Revision: rev})
	require.NoError(t, err)
	defer without.Stop()

	fake.Step(time.Minute - time.Second)
	require.Empty(t, pending(with), "no bookmark before the interval has passed")
	fake.Step(time.Second)
	select {
	case e := <-with.Events():
		require.Equal(t, Bookmark, e.Type)
		require.GreaterOrEqual(t, e.Rev, rev)
	case <-ctx.Done():
		t.Fatal("no bookmark after the interval passed")
	}
	require.Empty(t, pending(without), "only watchers that asked get bookmarks")
}
