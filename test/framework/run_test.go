package framework

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTB records what a test would report, and the cleanups it registers, so that a test can
// check what Start does at the end of another test.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

// end runs the cleanups, last registered first, as the testing package does, on a goroutine of
// its own since a Fatalf ends it; it returns what was reported.
func (f *fakeTB) end() []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := len(f.cleanups) - 1; i >= 0; i-- {
			f.cleanups[i]()
		}
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errors
}

// runnerFunc adapts a function to Runner.
type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

// untilCancelled returns a Runner that blocks until its context ends and then returns err.
func untilCancelled(err error) Runner {
	return runnerFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return err
	})
}

func TestStartStopsAtCleanupAndJudgesTheError(t *testing.T) {
	tests := []struct {
		name   string
		runner Runner
		want   string // what the cleanup reports; "" for nothing
	}{
		{name: "nil", runner: untilCancelled(nil)},
		{name: "context.Canceled", runner: untilCancelled(context.Canceled)},
		{name: "a wrapped context.Canceled", runner: untilCancelled(fmt.Errorf("serve: %w", context.Canceled))},
		{name: "any other error", runner: untilCancelled(errors.New("drain: boom")), want: "drain: boom"},
		{name: "an error returned early", runner: runnerFunc(func(context.Context) error { return errors.New("bind: in use") }),
			want: "bind: in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &fakeTB{TB: t}
			Start(tb, tt.runner)
			got := tb.end()
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("reported %q, want nothing", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tt.want) || !strings.Contains(got[0], "framework.runnerFunc") {
				t.Fatalf("reported %q, want one error naming the runner and %q", got, tt.want)
			}
		})
	}
}

func TestStopAndWaitHandTheErrorToTheTest(t *testing.T) {
	t.Run("Stop", func(t *testing.T) {
		tb := &fakeTB{TB: t}
		r := Start(tb, untilCancelled(errors.New("boom")))
		for range 2 { // Stop may be called more than once
			if err := r.Stop(); err == nil || err.Error() != "boom" {
				t.Fatalf("Stop returned %v, want boom", err)
			}
		}
		if got := tb.end(); len(got) != 0 {
			t.Fatalf("the cleanup reported %q after the test took the error", got)
		}
	})
	t.Run("Wait", func(t *testing.T) {
		tb := &fakeTB{TB: t}
		exit := make(chan struct{})
		r := Start(tb, runnerFunc(func(context.Context) error {
			<-exit
			return errors.New("lost the lease")
		}))
		select {
		case <-r.Done():
			t.Fatal("Done closed while Run still runs")
		default:
		}
		close(exit)
		if err := r.Wait(10 * time.Second); err == nil || err.Error() != "lost the lease" {
			t.Fatalf("Wait returned %v", err)
		}
		if got := tb.end(); len(got) != 0 {
			t.Fatalf("the cleanup reported %q after the test took the error", got)
		}
	})
	t.Run("Wait on a runner that does not return", func(t *testing.T) {
		tb := &fakeTB{TB: t}
		r := Start(tb, untilCancelled(nil))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = r.Wait(10 * time.Millisecond)
		}()
		<-done
		if got := tb.end(); len(got) != 1 || !strings.Contains(got[0], "still running after 10ms") {
			t.Fatalf("reported %q", got)
		}
	})
}

func TestWaitForFailsAsSoonAsTheRunnerStops(t *testing.T) {
	tb := &fakeTB{TB: t}
	r := Start(tb, runnerFunc(func(context.Context) error { return errors.New("listen: address in use") }))
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.WaitFor(time.Minute, func() bool { return false }, "health endpoint up")
	}()
	<-done
	if waited := time.Since(start); waited > 30*time.Second {
		t.Fatalf("WaitFor waited %s for a runner that had stopped", waited)
	}
	got := tb.end()
	if len(got) == 0 || !strings.Contains(got[0], "stopped (listen: address in use) before: health endpoint up") {
		t.Fatalf("reported %q", got)
	}
}

// parkForLeakTest blocks until release is closed: a goroutine with a name to look for.
func parkForLeakTest(release <-chan struct{}) { <-release }

func TestGoroutinesRunningFindsThePrefixes(t *testing.T) {
	release := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		parkForLeakTest(release)
	}()
	Eventually(t, 10*time.Second, func() bool {
		return len(goroutinesRunning([]string{"framework.parkForLeakTest"})) == 1
	}, "the parked goroutine found")
	if got := goroutinesRunning([]string{"no/such/package."}); len(got) != 0 {
		t.Fatalf("found %d goroutines of a package that does not run", len(got))
	}
	close(release)
	<-stopped
	if got := goroutinesRunning([]string{"framework.parkForLeakTest"}); len(got) != 0 {
		t.Fatalf("still found after it returned: %q", got)
	}
}
