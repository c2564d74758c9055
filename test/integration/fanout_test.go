package integration

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// etcdWatchers reads, from etcd's own metrics, how many watchers etcd serves. The framework's etcd
// runs in this process, so its metrics are in the default registry.
func etcdWatchers(t *testing.T) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "etcd_debugging_mvcc_watcher_total" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("etcd_debugging_mvcc_watcher_total not found in etcd's metrics")
	return 0
}

func TestThousandWatchersShareOneEtcdWatch(t *testing.T) {
	const watchers = 1000
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	// Every watch cache holds its etcd watch; none other exists.
	resources := float64(len(scheme.Builtin().Kinds()))
	framework.Eventually(t, 10*time.Second, func() bool { return etcdWatchers(t) == resources },
		"one etcd watch per resource (%v)", resources)
	before := etcdWatchers(t)
	// The apiserver's own consumers (the Node authorizer's pod graph) watch its caches too; they
	// are loaded before it is ready.
	own := cl.APIServer(0).Registry().WatcherCount()

	var ws []*client.Watcher[*corev1.Pod]
	for i := 0; i < watchers; i++ {
		w, err := c.Pods("default").Watch(ctx, client.ListOptions{})
		require.NoError(t, err)
		ws = append(ws, w)
	}
	defer func() {
		for _, w := range ws {
			w.Stop()
		}
	}()
	require.Equal(t, own+watchers, cl.APIServer(0).Registry().WatcherCount())
	require.Equal(t, before, etcdWatchers(t), "1,000 client watches add no etcd watch")

	_, err := c.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("fanout", nil), Spec: podSpec("nginx:1.27")})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, watchers)
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case ev := <-w.Events():
				if ev.Type != client.Added || ev.Object.GetMetadata().GetName() != "fanout" {
					errs <- fmt.Errorf("unexpected event %s %s", ev.Type, ev.Object.GetMetadata().GetName())
				}
			case <-time.After(30 * time.Second):
				errs <- fmt.Errorf("watcher got nothing")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStalledWatcherDoesNotDelayOthers(t *testing.T) {
	const writes = 300
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.WatchBufferSize = 50 }})
	ctx := testContext(t)
	c := cl.Client()
	// The apiserver's own consumers (the Node authorizer's pod graph) watch its caches too.
	own := cl.APIServer(0).Registry().WatcherCount()
	// The stalled watcher never reads: its client, its stream's flow-control window and then its
	// server-side buffer fill up.
	stalled, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{})
	require.NoError(t, err)
	defer stalled.Stop()
	live, err := c.ConfigMaps("default").Watch(ctx, client.ListOptions{})
	require.NoError(t, err)

	payload := strings.Repeat("x", 4*1024)
	received := make(chan int, 1)
	go func() {
		defer live.Stop()
		n := 0
		for ev := range live.Events() {
			if ev.Type == client.Added {
				n++
				if n == writes {
					break
				}
			}
		}
		received <- n
	}()
	start := time.Now()
	for i := 0; i < writes; i++ {
		_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
			Metadata: meta(fmt.Sprintf("cm-%d", i), nil), Data: map[string]string{"payload": payload},
		})
		require.NoError(t, err)
	}
	select {
	case n := <-received:
		require.Equal(t, writes, n, "the live watcher saw every write on one stream")
		t.Logf("%d writes delivered to the live watcher in %s", writes, time.Since(start))
	case <-time.After(30 * time.Second):
		t.Fatal("the live watcher was held up by the stalled one")
	}
	// The server cut the stalled watcher off rather than buffer without bound or wait for it.
	framework.Eventually(t, 30*time.Second, func() bool {
		return cl.APIServer(0).Registry().WatcherCount() == own
	}, "stalled watcher cut off")
}
