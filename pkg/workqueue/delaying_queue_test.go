package workqueue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type delayedAdd struct {
	item  string
	delay time.Duration
}

type delayStep struct {
	step time.Duration
	want []string // items handed out (and marked Done) after the step, in order
}

func TestDelayingQueueAddAfter(t *testing.T) {
	tests := []struct {
		name  string
		adds  []delayedAdd
		steps []delayStep
	}{
		{
			name:  "ready exactly at the delay",
			adds:  []delayedAdd{{"a", time.Second}},
			steps: []delayStep{{999 * time.Millisecond, nil}, {time.Millisecond, []string{"a"}}},
		},
		{
			name:  "zero and negative delays add at once",
			adds:  []delayedAdd{{"a", 0}, {"b", -time.Second}},
			steps: []delayStep{{0, []string{"a", "b"}}},
		},
		{
			name:  "earliest ready time first",
			adds:  []delayedAdd{{"a", 3 * time.Second}, {"b", time.Second}, {"c", 2 * time.Second}},
			steps: []delayStep{{time.Second, []string{"b"}}, {5 * time.Second, []string{"c", "a"}}},
		},
		{
			name:  "same ready time keeps add order",
			adds:  []delayedAdd{{"b", time.Second}, {"a", time.Second}},
			steps: []delayStep{{time.Second, []string{"b", "a"}}},
		},
		{
			name:  "duplicate with an earlier time moves the item up",
			adds:  []delayedAdd{{"a", 10 * time.Second}, {"a", time.Second}},
			steps: []delayStep{{time.Second, []string{"a"}}, {time.Minute, nil}},
		},
		{
			name:  "duplicate with a later time does not postpone",
			adds:  []delayedAdd{{"a", time.Second}, {"a", 10 * time.Second}},
			steps: []delayStep{{time.Second, []string{"a"}}, {time.Minute, nil}},
		},
		{
			name:  "waiting item and immediate add are both honoured",
			adds:  []delayedAdd{{"a", time.Second}, {"a", 0}},
			steps: []delayStep{{0, []string{"a"}}, {time.Second, []string{"a"}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := clock.NewFake(epoch)
			q := NewDelaying[string](WithClock(fc))
			defer q.ShutDown()
			for _, a := range tc.adds {
				q.AddAfter(a.item, a.delay)
			}
			for i, s := range tc.steps {
				fc.Step(s.step)
				require.Equal(t, s.want, drainQueue[string](q), "step %d", i)
			}
			require.False(t, fc.HasWaiters(), "nothing waits on the clock once every item is added")
		})
	}
}

func TestDelayingQueueShutDownDropsWaitingItems(t *testing.T) {
	tests := []struct {
		name     string
		shutdown func(q *DelayingQueue[string])
	}{
		{"ShutDown", func(q *DelayingQueue[string]) { q.ShutDown() }},
		{"ShutDownWithDrain", func(q *DelayingQueue[string]) { q.ShutDownWithDrain() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := clock.NewFake(epoch)
			q := NewDelaying[string](WithClock(fc))
			q.AddAfter("a", time.Second)
			require.Equal(t, 1, fc.Waiters())
			tc.shutdown(q)
			require.Zero(t, fc.Waiters(), "the delay timer is stopped")
			q.AddAfter("b", time.Second)
			fc.Step(time.Minute)
			_, shutdown := q.Get()
			require.True(t, shutdown)
		})
	}
}

func TestDelayingQueueOneTimerForManyItems(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := NewDelaying[int](WithClock(fc))
	defer q.ShutDown()
	for i := range 100 {
		q.AddAfter(i, time.Duration(i+1)*time.Second)
	}
	require.Equal(t, 1, fc.Waiters())
	fc.Step(50 * time.Second)
	require.Equal(t, 50, q.Len())
	require.Equal(t, 1, fc.Waiters())
}
