package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// compactKey coordinates compaction between apiservers sharing one etcd: each interval, only the
// replica whose guarded write of this key succeeds compacts.
const compactKey = "compact_rev_key"

// Compact discards history before rev.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	if _, err := s.client.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		return fmt.Errorf("compact to %d: %w", rev, err)
	}
	return nil
}

// RunCompactor compacts etcd every interval of clk to the revision seen one interval earlier, so
// that a watcher always has at least one interval of history to resume from. It returns nil when
// ctx ends. Several replicas may run it: a write guarded on the version of compactKey elects one per
// interval.
func (s *Store) RunCompactor(ctx context.Context, clk clock.Clock, interval time.Duration, lg *zap.Logger) error {
	if interval <= 0 {
		return nil
	}
	t := clk.NewTicker(interval)
	defer t.Stop()
	var prevRev, version int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		resp, err := s.client.Txn(ctx).
			If(clientv3.Compare(clientv3.Version(compactKey), "=", version)).
			Then(clientv3.OpPut(compactKey, strconv.FormatInt(prevRev, 10))).
			Else(clientv3.OpGet(compactKey)).
			Commit()
		if err != nil {
			lg.Warn("compaction round failed", zap.Error(err))
			continue
		}
		cur := resp.Header.Revision
		if !resp.Succeeded {
			// Another replica compacted this interval; follow its count.
			if kvs := resp.Responses[0].GetResponseRange().GetKvs(); len(kvs) > 0 {
				version = kvs[0].Version
			}
			prevRev = cur
			continue
		}
		version++
		if prevRev > 0 {
			if err := s.Compact(ctx, prevRev); err != nil {
				lg.Warn("compaction failed", zap.Int64("revision", prevRev), zap.Error(err))
			} else {
				lg.Debug("compacted", zap.Int64("revision", prevRev))
			}
		}
		prevRev = cur
	}
}

// CompactedRevision returns the revision the last compaction coordinated through compactKey
// discarded history up to, or 0 when none is recorded.
func (s *Store) CompactedRevision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, compactKey)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", compactKey, err)
	}
	if len(resp.Kvs) == 0 || len(resp.Kvs[0].Value) == 0 {
		return 0, nil
	}
	rev, err := strconv.ParseInt(string(resp.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", compactKey, err)
	}
	return rev, nil
}
