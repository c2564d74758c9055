// Package run holds the lifecycle plumbing every Keelson daemon shares: Main takes a daemon from
// its arguments to its exit; Group runs several components under one context; HTTPServer and
// HTTPEndpoint serve HTTP until that context ends; SignalContext turns SIGINT and SIGTERM into a
// canceled context.
//
// Every long-running piece in Keelson is a func(ctx) error that blocks until ctx ends and has
// released what it holds when it returns; this package composes such functions.
package run

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Group runs every fn in its own goroutine with a context derived from ctx, and waits for all of
// them. The first fn that returns an error cancels the others. Group returns the first error that
// is not the context's own cancellation, or nil when every fn returned nil or stopped because the
// context ended. It never returns before every fn has returned.
func Group(ctx context.Context, fns ...func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	var (
		mu    sync.Mutex
		first error
	)
	for _, fn := range fns {
		g.Go(func() error {
			err := fn(gctx)
			if err == nil {
				return nil
			}
			// A context error after the group's context ended is a clean stop, not a failure.
			if gctx.Err() != nil && isContextErr(err) {
				return err
			}
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			return err
		})
	}
	_ = g.Wait() // the error worth reporting is recorded in first
	return first
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
