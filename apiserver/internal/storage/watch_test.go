package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// testStores returns a store per way of reaching etcd: over gRPC, as for an external cluster, and
// in-process with watches on the member's store, as for the embedded member. Both share one etcd.
func testStores(t *testing.T, opts Options) map[string]*Store {
	t.Helper()
	e, url := etcdtest.Start(t)
	remote, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = remote.Close() })
	local := v3client.New(e.Server)
	t.Cleanup(func() { _ = local.Close() })
	codec := NewCodec(scheme.Builtin())
	localOpts := opts
	localOpts.Local = e.Server.Watchable()
	return map[string]*Store{"external": New(remote, codec, opts), "embedded": New(local, codec, localOpts)}
}

func testPod(name, image string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: image}}}}
}

// next returns the watch's next batch, failing the test after a few seconds.
func next(t *testing.T, w *Watch) WatchBatch {
	t.Helper()
	select {
	case b, ok := <-w.C:
		require.True(t, ok, "the watch ended")
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch within 10s")
		return WatchBatch{}
	}
}

// collect reads batches until it has n events, skipping progress notices.
func collect(t *testing.T, w *Watch, n int) []*mvccpb.Event {
	t.Helper()
	var evs []*mvccpb.Event
	for len(evs) < n {
		b := next(t, w)
		require.NoError(t, b.Err)
		evs = append(evs, b.Events...)
	}
	return evs
}

// createAndUpdate creates a pod at key with image "one", then updates it to image "two", and
// returns the create's revision and the update.
func createAndUpdate(t *testing.T, s *Store, key string) (int64, KV) {
	t.Helper()
	first, err := s.Create(t.Context(), key, testPod("a", "one"))
	require.NoError(t, err)
	kv, err := s.Update(t.Context(), key, testPod("a", "two"), first)
	require.NoError(t, err)
	return first, kv
}

func TestWatchDeliversEveryChangeInOrder(t *testing.T) {
	for name, s := range testStores(t, Options{}) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			prefix := "/" + name + "/pods/"
			first, kv := createAndUpdate(t, s, prefix+"a")
			_, _, err := s.Delete(ctx, prefix+"a", kv.ModRevision)
			require.NoError(t, err)
			// A key outside the prefix is not delivered.
			_, err = s.Create(ctx, "/"+name+"/podsx", testPod("x", "one"))
			require.NoError(t, err)

			// From the first write: history first, then the watch is level and live.
			w := s.Watch(ctx, prefix, first)
			created := next(t, w)
			require.True(t, created.Created)
			require.False(t, created.IsProgress())
			evs := collect(t, w, 3)
			require.Equal(t, []mvccpb.Event_EventType{mvccpb.PUT, mvccpb.PUT, mvccpb.DELETE},
				[]mvccpb.Event_EventType{evs[0].Type, evs[1].Type, evs[2].Type})
			require.Equal(t, []int64{first, kv.ModRevision, kv.ModRevision + 1},
				[]int64{evs[0].Kv.ModRevision, evs[1].Kv.ModRevision, evs[2].Kv.ModRevision})
			obj, err := s.Codec().Decode(evs[1].Kv.Value)
			require.NoError(t, err)
			require.Equal(t, "two", obj.(*corev1.Pod).GetSpec().GetContainers()[0].GetImage())

			rev, err := s.Create(ctx, prefix+"b", testPod("b", "one"))
			require.NoError(t, err)
			live := collect(t, w, 1)
			require.Equal(t, rev, live[0].Kv.ModRevision)

			// Once level, a progress request is answered with the store's revision.
			cur, err := s.Revision(ctx)
			require.NoError(t, err)
			w.RequestProgress()
			b := next(t, w)
			require.True(t, b.IsProgress(), "got %+v", b)
			require.GreaterOrEqual(t, b.Revision, cur)
		})
	}
}

func TestWatchOfCompactedRevisionEndsWithErrCompacted(t *testing.T) {
	for name, s := range testStores(t, Options{}) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			prefix := "/" + name + "/pods/"
			first, kv := createAndUpdate(t, s, prefix+"a")
			_, err := s.Client().Compact(ctx, kv.ModRevision)
			require.NoError(t, err)

			w := s.Watch(ctx, prefix, first)
			var end WatchBatch
			for end.Err == nil {
				end = next(t, w)
			}
			require.ErrorIs(t, end.Err, ErrCompacted)
			select {
			case _, ok := <-w.C:
				require.False(t, ok, "the watch goes on after its end")
			case <-time.After(10 * time.Second):
				t.Fatal("the watch was not closed after its end")
			}
		})
	}
}

func TestWatchClosesWhenItsContextEnds(t *testing.T) {
	for name, s := range testStores(t, Options{}) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			w := s.Watch(ctx, "/"+name+"/pods/", 0)
			require.True(t, next(t, w).Created)
			cancel()
			deadline := time.After(10 * time.Second)
			for {
				select {
				case _, ok := <-w.C:
					if !ok {
						return
					}
				case <-deadline:
					t.Fatal("the watch was not closed after its context ended")
				}
			}
		})
	}
}

// A reader that takes nothing while a thousand writes land must not push etcd's watch into its
// slow catch-up mode: the watch queues for it. etcd's own gauge of slow watchers says whether it
// did.
func TestWatchQueuesForASlowReader(t *testing.T) {
	s := testStores(t, Options{MaxWritesInFlight: 8})["embedded"]
	ctx := t.Context()
	w := s.Watch(ctx, "/slow/pods/", 0)
	require.True(t, next(t, w).Created)

	const writes = 1000
	errs := make(chan error, writes)
	for i := range writes {
		go func() {
			_, err := s.Create(ctx, fmt.Sprintf("/slow/pods/p%04d", i), testPod(fmt.Sprintf("p%04d", i), "one"))
			errs <- err
		}()
	}
	for range writes {
		require.NoError(t, <-errs)
	}
	require.Zero(t, slowWatchers(t), "etcd marked the watch slow")
	evs := collect(t, w, writes)
	seen := map[string]bool{}
	for i, ev := range evs {
		require.True(t, i == 0 || evs[i-1].Kv.ModRevision < ev.Kv.ModRevision, "events out of order")
		seen[string(ev.Kv.Key)] = true
	}
	require.Len(t, seen, writes)
}

// slowWatchers reads etcd's gauge of watchers that fell behind.
func slowWatchers(t *testing.T) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if strings.HasSuffix(f.GetName(), "mvcc_slow_watcher_total") {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("etcd's slow watcher gauge is not registered")
	return 0
}

func TestWritesInFlightAreBounded(t *testing.T) {
	s := testStores(t, Options{MaxWritesInFlight: 1})["embedded"]
	ctx := t.Context()
	// Hold the only token, as a write in flight would: the next write waits, and gives up with
	// its context.
	s.writes <- struct{}{}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := s.Create(short, "/bounded/a", testPod("a", "one"))
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	_, err = s.Get(ctx, "/bounded/a", 0)
	require.ErrorIs(t, err, ErrNotFound)

	// Released, writes go through one at a time.
	<-s.writes
	done := make(chan error, 10)
	for i := range 10 {
		go func() {
			_, err := s.Create(ctx, fmt.Sprintf("/bounded/p%d", i), testPod("p", "one"))
			done <- err
		}()
	}
	for range 10 {
		require.NoError(t, <-done)
	}
	page, err := s.List(ctx, "/bounded/", "", 0, 0)
	require.NoError(t, err)
	require.Len(t, page.Items, 10)
}
