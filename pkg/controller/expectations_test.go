package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

func TestExpectations(t *testing.T) {
	const key = "default/web"
	tests := []struct {
		name      string
		steps     func(e *Expectations, clk *clock.Fake)
		satisfied bool
		adds      int
		dels      int
	}{
		{name: "nothing expected", steps: func(*Expectations, *clock.Fake) {}, satisfied: true},
		{name: "creates pending", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectCreations(key, 3)
			e.CreationObserved(key)
		}, adds: 2},
		{name: "all creates observed", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectCreations(key, 2)
			e.CreationObserved(key)
			e.CreationObserved(key)
		}, satisfied: true},
		{name: "deletes pending", steps: func(e *Expectations, _ *clock.Fake) { e.ExpectDeletions(key, 1) }, dels: 1},
		{name: "adds and deletes both needed", steps: func(e *Expectations, _ *clock.Fake) {
			e.Expect(key, 1, 1)
			e.CreationObserved(key)
		}, dels: 1},
		{name: "a failed create is lowered", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectCreations(key, 2)
			e.CreationObserved(key)
			e.Lower(key, 1, 0)
		}, satisfied: true},
		{name: "raised", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectCreations(key, 1)
			e.Raise(key, 1, 2)
			e.CreationObserved(key)
		}, adds: 1, dels: 2},
		{name: "observations beyond the expected count do not go negative", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectDeletions(key, 1)
			e.DeletionObserved(key)
			e.DeletionObserved(key)
		}, satisfied: true},
		{name: "observations without an expectation are ignored", steps: func(e *Expectations, _ *clock.Fake) {
			e.CreationObserved(key)
			e.Raise(key, 5, 5)
		}, satisfied: true},
		{name: "not lapsed at the TTL", steps: func(e *Expectations, clk *clock.Fake) {
			e.ExpectCreations(key, 1)
			clk.Step(time.Minute)
		}, adds: 1},
		{name: "lapsed after the TTL", steps: func(e *Expectations, clk *clock.Fake) {
			e.ExpectCreations(key, 1)
			clk.Step(time.Minute + time.Nanosecond)
		}, satisfied: true, adds: 1},
		{name: "a new expectation restarts the TTL", steps: func(e *Expectations, clk *clock.Fake) {
			e.ExpectCreations(key, 1)
			clk.Step(50 * time.Second)
			e.ExpectCreations(key, 1)
			clk.Step(50 * time.Second)
		}, adds: 1},
		{name: "deleted", steps: func(e *Expectations, _ *clock.Fake) {
			e.ExpectCreations(key, 1)
			e.Delete(key)
		}, satisfied: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1000, 0))
			e := NewExpectations(clk, time.Minute)
			tt.steps(e, clk)
			require.Equal(t, tt.satisfied, e.Satisfied(key))
			adds, dels := e.Pending(key)
			require.Equal(t, tt.adds, adds, "adds pending")
			require.Equal(t, tt.dels, dels, "deletes pending")
			require.True(t, e.Satisfied("other/key"), "keys are independent")
		})
	}
}

func TestExpectationsDefaultTTL(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	e := NewExpectations(clk, 0)
	e.ExpectCreations("k", 1)
	clk.Step(DefaultExpectationsTTL)
	require.False(t, e.Satisfied("k"))
	clk.Step(time.Nanosecond)
	require.True(t, e.Satisfied("k"))
}
