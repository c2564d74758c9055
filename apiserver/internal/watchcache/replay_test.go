package watchcache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/mvccpb"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

const testPrefix = "/registry/configmaps/"

// testCache is a cache of configmaps fed by hand, batch by batch, as Run feeds it from etcd.
type testCache struct {
	*Cache
	clock *clock.Fake
	codec storage.Codec
}

// newTestCache returns a ready cache with capacity ring slots whose state was loaded at revision
// start, on a fake clock. No etcd is involved: the tests hand it batches as the etcd watch would.
func newTestCache(t *testing.T, capacity int, start int64) *testCache {
	t.Helper()
	codec := storage.NewCodec(scheme.Builtin())
	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	c := New(Config{
		Resource:         "configmaps",
		Prefix:           testPrefix,
		Store:            storage.New(nil, codec, storage.Options{}),
		New:              func() scheme.Object { return &corev1.ConfigMap{} },
		Fields:           func(scheme.Object) map[string]string { return nil },
		Capacity:         capacity,
		FreshnessTimeout: 3 * time.Second,
		Clock:            fake,
	})
	// As runOnce does: the list at start, then the watch from start+1 registers.
	c.rev, c.oldest = start, start
	c.apply(storage.WatchBatch{Created: true, Revision: start}, start)
	require.True(t, c.isReady())
	return &testCache{Cache: c, clock: fake, codec: codec}
}

// put applies a write of configmap name at revision rev.
func (tc *testCache) put(t *testing.T, rev int64, name string) {
	t.Helper()
	data, err := tc.codec.Encode(&corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"}})
	require.NoError(t, err)
	ev := &mvccpb.Event{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: []byte(testPrefix + "default/" + name), Value: data, ModRevision: rev}}
	tc.apply(storage.WatchBatch{Events: []*mvccpb.Event{ev}, Revision: rev}, 0)
}

// putRange writes one configmap per revision from first to last.
func (tc *testCache) putRange(t *testing.T, first, last int64) {
	t.Helper()
	for rev := first; rev <= last; rev++ {
		tc.put(t, rev, fmt.Sprintf("cm-%d", rev))
	}
}

// watch starts a watch from rev, bounded so that a wait that never ends fails the test instead.
func (tc *testCache) watch(t *testing.T, opts WatchOptions) (*Watcher, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := tc.Watch(ctx, opts)
	if err == nil {
		t.Cleanup(w.Stop)
	}
	return w, err
}

// pending returns the revisions of the events the watcher holds now, without waiting.
func pending(w *Watcher) []int64 {
	var revs []int64
	for {
		select {
		case e, ok := <-w.Events():
			if !ok {
				return revs
			}
			revs = append(revs, e.Rev)
		default:
			return revs
		}
	}
}

func revRange(first, last int64) []int64 {
	var out []int64
	for r := first; r <= last; r++ {
		out = append(out, r)
	}
	return out
}

// TestWatchReplayBoundaries pins which revisions a watch may resume from: every change after the
// oldest retained revision is replayed, exactly once and in order, and one revision older is Gone.
func TestWatchReplayBoundaries(t *testing.T) {
	scenarios := []struct {
		name string
		// capacity ring slots, state loaded at revision 10, then writes at 11..last.
		capacity int
		last     int64
		// oldest is the revision the ring keeps every change after.
		oldest int64
	}{
		{name: "ring not yet full", capacity: 8, last: 15, oldest: 10},
		{name: "ring exactly full", capacity: 5, last: 15, oldest: 10},
		{name: "ring wrapped", capacity: 4, last: 15, oldest: 11},
		{name: "ring wrapped more than once", capacity: 3, last: 20, oldest: 17},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			tests := []struct {
				name string
				from int64
				want []int64 // nil: no replay
				gone bool
			}{
				{name: "from the oldest retained revision", from: sc.oldest, want: revRange(sc.oldest+1, sc.last)},
				{name: "from one before the oldest", from: sc.oldest - 1, gone: true},
				{name: "from one after the oldest", from: sc.oldest + 1, want: revRange(sc.oldest+2, sc.last)},
				{name: "from one before the newest", from: sc.last - 1, want: []int64{sc.last}},
				{name: "from the newest", from: sc.last},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tc := newTestCache(t, sc.capacity, 10)
					tc.putRange(t, 11, sc.last)
					require.Equal(t, sc.oldest, tc.oldest)

					w, err := tc.watch(t, WatchOptions{Revision: tt.from})
					if tt.gone {
						require.Error(t, err)
						require.True(t, apierrors.IsGone(err), "want Gone, got %v", err)
						return
					}
					require.NoError(t, err)
					require.Equal(t, tt.want, pending(w), "replay")
					// The watch goes on live from there.
					tc.put(t, sc.last+1, "live")
					require.Equal(t, []int64{sc.last + 1}, pending(w), "live")
				})
			}
		})
	}
}

// TestWatchAtTheWrapDeliversInOrder checks that a watch from the oldest revision gets the ring's
// events in revision order when the oldest one sits at the end of the ring and the newest at its
// start, and that an event pushed out while the watch runs is still delivered to it.
func TestWatchAtTheWrapDeliversInOrder(t *testing.T) {
	tc := newTestCache(t, 4, 10)
	tc.putRange(t, 11, 17) // slots: [15 16 17 14], head at the last slot
	require.Equal(t, 3, tc.head)
	require.Equal(t, int64(13), tc.oldest)

	w, err := tc.watch(t, WatchOptions{Revision: 13})
	require.NoError(t, err)
	tc.putRange(t, 18, 19) // evicts 14 and 15, which the watcher already holds
	require.Equal(t, revRange(14, 19), pending(w))

	_, err = tc.watch(t, WatchOptions{Revision: 14})
	require.True(t, apierrors.IsGone(err), "15 was pushed out, so a watch from 14 cannot be served: got %v", err)
	w, err = tc.watch(t, WatchOptions{Revision: 15})
	require.NoError(t, err)
	require.Equal(t, revRange(16, 19), pending(w))
}

// TestWatchFromAFutureRevision checks that a watch from a revision the cache has not reached waits
// for it, within the freshness timeout on the cache's clock, and otherwise fails with Timeout.
func TestWatchFromAFutureRevision(t *testing.T) {
	t.Run("reached while waiting", func(t *testing.T) {
		tc := newTestCache(t, 8, 10)
		tc.putRange(t, 11, 12)
		got := startWatch(t, tc, 14)
		// Deadline and nudge: the watch is waiting on the clock.
		require.NoError(t, tc.clock.BlockUntilWaiters(testCtx(t), 2))
		tc.putRange(t, 13, 14)
		r := <-got
		require.NoError(t, r.err)
		require.Empty(t, pending(r.w), "nothing after 14 yet")
		tc.put(t, 15, "live")
		require.Equal(t, []int64{15}, pending(r.w))
	})
	t.Run("not reached", func(t *testing.T) {
		tc := newTestCache(t, 8, 10)
		tc.putRange(t, 11, 12)
		got := startWatch(t, tc, 13)
		require.NoError(t, tc.clock.BlockUntilWaiters(testCtx(t), 2))
		tc.clock.Step(3*time.Second - time.Millisecond)
		select {
		case r := <-got:
			t.Fatalf("the watch gave up before the freshness timeout: %v", r.err)
		default:
		}
		tc.clock.Step(time.Millisecond)
		r := <-got
		require.True(t, apierrors.IsTimeout(r.err), "want Timeout, got %v", r.err)
		require.Contains(t, r.err.Error(), "Too large resource version: 13, current: 12")
	})
	t.Run("request deadline first", func(t *testing.T) {
		// A watch whose own deadline (timeoutSeconds under the freshness timeout) passes first
		// gets the same Timeout, not a bare context error.
		tc := newTestCache(t, 8, 10)
		tc.putRange(t, 11, 12)
		ctx, cancel := context.WithTimeout(testCtx(t), time.Millisecond)
		defer cancel()
		_, err := tc.Watch(ctx, WatchOptions{Revision: 13})
		require.True(t, apierrors.IsTimeout(err), "want Timeout, got %v", err)
		require.Contains(t, err.Error(), "Too large resource version: 13, current: 12")
	})
	t.Run("cancelled", func(t *testing.T) {
		tc := newTestCache(t, 8, 10)
		ctx, cancel := context.WithCancel(testCtx(t))
		cancel()
		_, err := tc.Watch(ctx, WatchOptions{Revision: 13})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("one past the newest waits", func(t *testing.T) {
		tc := newTestCache(t, 8, 10)
		tc.putRange(t, 11, 12)
		got := startWatch(t, tc, 13)
		require.NoError(t, tc.clock.BlockUntilWaiters(testCtx(t), 2))
		tc.put(t, 13, "next")
		r := <-got
		require.NoError(t, r.err)
		require.Empty(t, pending(r.w), "13 itself is not replayed")
	})
}

type watchResult struct {
	w   *Watcher
	err error
}

// startWatch starts a watch from rev in its own goroutine; the test receives its outcome.
func startWatch(t *testing.T, tc *testCache, rev int64) <-chan watchResult {
	t.Helper()
	got := make(chan watchResult, 1)
	go func() {
		w, err := tc.Watch(testCtx(t), WatchOptions{Revision: rev})
		got <- watchResult{w, err}
	}()
	t.Cleanup(func() {
		select {
		case r := <-got:
			if r.w != nil {
				r.w.Stop()
			}
		default:
		}
	})
	return got
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestWatchFromZeroListsThenFollows checks that revision 0 starts from the current state, one
// ADDED per object at the cache's revision, whatever the ring holds.
func TestWatchFromZeroListsThenFollows(t *testing.T) {
	tc := newTestCache(t, 2, 10)
	tc.putRange(t, 11, 14)
	w, err := tc.watch(t, WatchOptions{})
	require.NoError(t, err)
	var names []string
	for range 4 {
		e := <-w.Events()
		require.Equal(t, Added, e.Type)
		require.Equal(t, int64(14), e.Rev)
		names = append(names, e.Object.GetMetadata().GetName())
	}
	require.Equal(t, []string{"cm-11", "cm-12", "cm-13", "cm-14"}, names)
	tc.put(t, 15, "cm-11")
	e := <-w.Events()
	require.Equal(t, Modified, e.Type)
	require.Equal(t, int64(15), e.Rev)
}

// TestBookmarks checks that the bookmark tick, on the cache's clock, reaches the watchers that
// asked for bookmarks with the cache's revision, and that a watch that asked for initial events
// gets them closed by an annotated bookmark even from a revision too old to resume from.
func TestBookmarks(t *testing.T) {
	tc := newTestCache(t, 2, 10)
	tc.putRange(t, 11, 14)
	with, err := tc.watch(t, WatchOptions{Revision: 14, Bookmarks: true})
	require.NoError(t, err)
	without, err := tc.watch(t, WatchOptions{Revision: 14})
	require.NoError(t, err)
	tc.sendBookmarks()
	e := <-with.Events()
	require.Equal(t, Bookmark, e.Type)
	require.Equal(t, int64(14), e.Rev)
	require.Equal(t, "14", e.Object.GetMetadata().GetResourceVersion())
	require.Empty(t, pending(without))

	initial, err := tc.watch(t, WatchOptions{Revision: 5, SendInitialEvents: true, Bookmarks: true})
	require.NoError(t, err, "initial events make an old revision no matter")
	var types []EventType
	for range 5 {
		e := <-initial.Events()
		types = append(types, e.Type)
		if e.Type == Bookmark {
			require.Equal(t, "true", e.Object.GetMetadata().GetAnnotations()[InitialEventsEndAnnotation])
			require.Equal(t, int64(14), e.Rev)
		}
	}
	require.Equal(t, []EventType{Added, Added, Added, Added, Bookmark}, types)
}
