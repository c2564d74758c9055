package alloc

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// every runs fn each interval of clk until ctx ends, logging a failure as what and trying again
// at the next tick. It returns nil once ctx ends.
func every(ctx context.Context, clk clock.Clock, interval time.Duration, lg *zap.Logger, what string, fn func(context.Context) error) error {
	t := clk.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		if err := fn(ctx); err != nil && ctx.Err() == nil {
			lg.Warn(what, zap.Error(err))
		}
	}
}
