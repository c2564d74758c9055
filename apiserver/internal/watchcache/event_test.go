package watchcache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// labelIs selects objects whose "app" label is the given value.
type labelIs string

func (l labelIs) Matches(labels, _ map[string]string) bool { return labels["app"] == string(l) }

func TestFilterTurnsSelectionChangesIntoAddsAndDeletes(t *testing.T) {
	web := attrs{labels: map[string]string{"app": "web"}}
	db := attrs{labels: map[string]string{"app": "db"}}
	tests := []struct {
		name string
		ev   *Event
		want EventType // "" means not delivered
	}{
		{"added and selected", &Event{Type: Added, attrs: web}, Added},
		{"added, not selected", &Event{Type: Added, attrs: db}, ""},
		{"modified, still selected", &Event{Type: Modified, attrs: web, prevAttrs: &web}, Modified},
		{"modified into the selection", &Event{Type: Modified, attrs: web, prevAttrs: &db}, Added},
		{"modified out of the selection", &Event{Type: Modified, attrs: db, prevAttrs: &web}, Deleted},
		{"modified, never selected", &Event{Type: Modified, attrs: db, prevAttrs: &db}, ""},
		{"deleted while selected", &Event{Type: Deleted, attrs: web, prevAttrs: &web}, Deleted},
		{"deleted, not selected", &Event{Type: Deleted, attrs: db, prevAttrs: &db}, ""},
		{"bookmarks always pass", &Event{Type: Bookmark}, Bookmark},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ev.filter(labelIs("web"))
			if tc.want == "" {
				require.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			require.Equal(t, tc.want, got.Type)
			require.Equal(t, tc.ev.Type, tc.ev.filter(Everything{}).Type, "everything sees the event as it is")
		})
	}
}

func TestRingKeepsTheNewestEvents(t *testing.T) {
	c := New(Config{Capacity: 3})
	for rev := int64(1); rev <= 5; rev++ {
		c.push(&Event{Type: Added, Rev: rev})
	}
	require.Equal(t, 3, c.size)
	require.Equal(t, int64(2), c.oldest, "every event after revision 2 is still held")
	var revs []int64
	for i := 0; i < c.size; i++ {
		revs = append(revs, c.ring[(c.head+i)%len(c.ring)].Rev)
	}
	require.Equal(t, []int64{3, 4, 5}, revs)
}

func TestSlowWatcherIsCutOffNotWaitedFor(t *testing.T) {
	c := New(Config{Capacity: 10})
	w := newWatcher(c, WatchOptions{Predicate: Everything{}}, 2)
	b := newBudget(clock.RealClock{}, 20*time.Millisecond)
	defer b.stop()
	require.True(t, w.offer(&Event{Type: Added, Key: "a", Rev: 1}, b))
	require.True(t, w.offer(&Event{Type: Added, Key: "b", Rev: 2}, b))
	start := time.Now()
	require.False(t, w.offer(&Event{Type: Added, Key: "c", Rev: 3}, b), "a full buffer ends the watcher once the budget is spent")
	require.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond, "it waited out the budget")
	require.False(t, newWatcher(c, WatchOptions{Predicate: Everything{}}, 0).offer(&Event{Type: Added, Key: "d"}, b),
		"a spent budget cuts at once")
	require.ErrorIs(t, w.Err(), ErrTooSlow)
	var got []string
	for e := range w.Events() {
		got = append(got, e.Key)
	}
	require.Equal(t, []string{"a", "b"}, got, "what was buffered is still delivered")
}

func TestBudgetLetsAHealthyWatcherCatchUp(t *testing.T) {
	c := New(Config{Capacity: 10})
	w := newWatcher(c, WatchOptions{Predicate: Everything{}}, 1)
	b := newBudget(clock.RealClock{}, time.Second)
	defer b.stop()
	require.True(t, w.offer(&Event{Type: Added, Key: "a", Rev: 1}, b))
	drained := make(chan []string)
	go func() {
		var got []string
		for e := range w.Events() {
			got = append(got, e.Key)
		}
		drained <- got
	}()
	// The buffer is full; the reader makes room within the budget.
	require.True(t, w.offer(&Event{Type: Added, Key: "b", Rev: 2}, b))
	require.True(t, w.offer(&Event{Type: Added, Key: "c", Rev: 3}, b))
	w.end(nil)
	require.Equal(t, []string{"a", "b", "c"}, <-drained)
}
