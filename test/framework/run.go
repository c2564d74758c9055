package framework

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// StopTimeout bounds how long a stopped Runner may take to return: every daemon drains within its
// own shutdown timeout, well below it.
const StopTimeout = 60 * time.Second

// Runner is anything that runs until its context ends, as every Keelson daemon's server, informer
// and elector does: Run blocks, and has released everything it started when it returns.
type Runner interface {
	Run(ctx context.Context) error
}

// Running is a Runner that Start started.
type Running struct {
	tb     testing.TB
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error // what Run returned; read only after done is closed

	mu     sync.Mutex
	judged bool // the test took Run's error through Stop or Wait: the cleanup leaves it alone
}

// Start runs r in its own goroutine until the test ends. Its cleanup cancels r's context, waits
// up to StopTimeout for Run to return, and fails the test if Run returned an error other than
// context.Canceled that the test did not take itself through Stop or Wait.
func Start(tb testing.TB, r Runner) *Running {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rn := &Running{tb: tb, name: runnerName(r), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rn.done)
		rn.err = r.Run(ctx)
	}()
	tb.Cleanup(func() {
		err := rn.stop()
		rn.mu.Lock()
		judged := rn.judged
		rn.mu.Unlock()
		if err != nil && !judged {
			tb.Errorf("%s: %v", rn.name, err)
		}
	})
	return rn
}

// runnerName names r by its String method if it has one, and otherwise by its package and type,
// e.g. "scheduler/server.Server".
func runnerName(r Runner) string {
	if s, ok := r.(fmt.Stringer); ok {
		return s.String()
	}
	t := reflect.TypeOf(r)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return t.String()
	}
	return strings.TrimPrefix(t.PkgPath(), "github.com/keelson-dev/keelson/") + "." + t.Name()
}

// Name says which Runner this is, for messages.
func (r *Running) Name() string { return r.name }

// Done is closed once Run has returned.
func (r *Running) Done() <-chan struct{} { return r.done }

// Stop cancels Run's context and waits up to StopTimeout for it to return, failing the test if it
// does not. It returns what Run returned, context.Canceled counting as success; the error is the
// caller's to judge. It may be called more than once.
func (r *Running) Stop() error {
	r.tb.Helper()
	r.mu.Lock()
	r.judged = true
	r.mu.Unlock()
	return r.stop()
}

func (r *Running) stop() error {
	r.tb.Helper()
	r.cancel()
	if !r.returnedWithin(StopTimeout) {
		r.tb.Fatalf("%s still running %s after it was stopped", r.name, StopTimeout)
	}
	if errors.Is(r.err, context.Canceled) {
		return nil
	}
	return r.err
}

// returnedWithin reports whether Run returns within timeout.
func (r *Running) returnedWithin(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.done:
		return true
	case <-t.C:
		return false
	}
}

// Wait waits up to timeout for Run to return by itself, without stopping it, and returns what it
// returned; the test fails if Run is still running then. The error is the caller's to judge.
func (r *Running) Wait(timeout time.Duration) error {
	r.tb.Helper()
	if !r.returnedWithin(timeout) {
		r.tb.Fatalf("%s still running after %s", r.name, timeout)
	}
	r.mu.Lock()
	r.judged = true
	r.mu.Unlock()
	return r.err
}

// WaitFor polls cond until it holds, failing the test after timeout or as soon as Run returns,
// whichever comes first: a daemon that stopped will never get ready.
func (r *Running) WaitFor(timeout time.Duration, cond func() bool, msg string, args ...any) {
	r.tb.Helper()
	switch poll(timeout, 10*time.Millisecond, cond, r.done) {
	case stopped:
		r.tb.Fatalf("%s stopped (%v) before: "+msg, append([]any{r.name, r.err}, args...)...)
	case timedOut:
		r.tb.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
	}
}

// Eventually polls cond every 10ms until it returns true or timeout passes, then fails the test
// with msg.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, msg string, args ...any) {
	tb.Helper()
	if poll(timeout, 10*time.Millisecond, cond, nil) != held {
		tb.Fatalf("timed out after %s: "+msg, append([]any{timeout}, args...)...)
	}
}

// Poll polls cond every interval until it returns true, or returns false once timeout passes: for a
// caller whose failure message tells what it saw last.
func Poll(timeout, interval time.Duration, cond func() bool) bool {
	return poll(timeout, interval, cond, nil) == held
}

// pollResult says how poll ended.
type pollResult int

const (
	held pollResult = iota
	timedOut
	stopped
)

// poll checks cond every interval until it holds, timeout passes or stop (if not nil) is closed.
func poll(timeout, interval time.Duration, cond func() bool, stop <-chan struct{}) pollResult {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-stop:
			return stopped
		case <-deadline.C:
			return timedOut
		case <-tick.C:
		}
	}
	return held
}
