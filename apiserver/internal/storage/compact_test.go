package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// TestCompactorCompactsOneIntervalBehind drives the compactor with a fake clock: the first tick
// only records the revision, the next compacts history up to it, and nothing newer.
func TestCompactorCompactsOneIntervalBehind(t *testing.T) {
	s := testStores(t, Options{})["embedded"]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- s.RunCompactor(runCtx, fake, time.Minute, zap.NewNop()) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})

	first, err := s.Create(ctx, "/registry/pods/default/a", testPod("a", "one"))
	require.NoError(t, err)
	// roundsDone reads how many rounds the compactor has recorded, and the revision of the last.
	roundsDone := func() (version, rev int64) {
		resp, err := s.Client().Get(ctx, compactKey)
		require.NoError(t, err)
		if len(resp.Kvs) == 0 {
			return 0, 0
		}
		return resp.Kvs[0].Version, resp.Kvs[0].ModRevision
	}

	require.NoError(t, fake.BlockUntilWaiters(ctx, 1))
	fake.Step(time.Minute)
	require.Eventually(t, func() bool { v, _ := roundsDone(); return v == 1 }, 10*time.Second, 10*time.Millisecond)
	_, recorded := roundsDone()
	compacted, err := s.CompactedRevision(ctx)
	require.NoError(t, err)
	require.Zero(t, compacted, "the first round has nothing one interval old to compact")
	_, err = s.Get(ctx, "/registry/pods/default/a", first)
	require.NoError(t, err, "history is whole until the second round")

	_, err = s.Create(ctx, "/registry/pods/default/b", testPod("b", "one"))
	require.NoError(t, err)
	fake.Step(time.Minute)
	require.Eventually(t, func() bool { v, _ := roundsDone(); return v == 2 }, 10*time.Second, 10*time.Millisecond)
	compacted, err = s.CompactedRevision(ctx)
	require.NoError(t, err)
	require.Equal(t, recorded, compacted, "the round records the revision seen one interval earlier")
	// The round compacts right after recording it.
	require.Eventually(t, func() bool {
		_, err := s.Get(ctx, "/registry/pods/default/a", first)
		return errors.Is(err, ErrCompacted)
	}, 10*time.Second, 10*time.Millisecond, "history before the recorded revision is gone")
	_, err = s.Get(ctx, "/registry/pods/default/a", recorded)
	require.NoError(t, err, "the compacted revision itself is still readable")
}
