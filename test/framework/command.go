package framework

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Command runs a program, such as a built daemon, as a Runner, so that Start runs a binary the
// way it runs an in-process server.
type Command struct {
	// Cmd is the program, prepared but not started.
	Cmd *exec.Cmd
	// StopSignal asks the program to stop when Run's context ends (default SIGTERM). When
	// Cmd.SysProcAttr sets Setpgid, it goes to the program's whole process group.
	StopSignal syscall.Signal
	// KillAfter is how long the program has to exit after StopSignal before it (and its group)
	// is killed (default 45s, below StopTimeout).
	KillAfter time.Duration

	mu      sync.Mutex
	process *os.Process // once started
}

// Signal sends sig to the running program, as a test that kills a daemon itself does; it fails
// when the program has not been started.
func (c *Command) Signal(sig syscall.Signal) error {
	c.mu.Lock()
	p := c.process
	c.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%s: not started", c)
	}
	return p.Signal(sig)
}

// Run starts the program and waits for it to exit. When ctx ends it sends StopSignal, and
// SIGKILL if the program is still running KillAfter later. It returns nil when the program exits
// with status 0, by itself or when asked to stop; an *exec.ExitError for another status; and an
// error saying so when the program had to be killed.
func (c *Command) Run(ctx context.Context) error {
	name := c.String()
	if err := c.Cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c.mu.Lock()
	c.process = c.Cmd.Process
	c.mu.Unlock()
	exited := make(chan error, 1)
	go func() { exited <- c.Cmd.Wait() }()
	select {
	case err := <-exited:
		return c.exitErr(name, err)
	case <-ctx.Done():
	}
	sig, killAfter := c.StopSignal, c.KillAfter
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if killAfter <= 0 {
		killAfter = 45 * time.Second
	}
	if err := c.signal(sig); err != nil {
		// The program exited meanwhile: what it exited with is the answer.
		return c.exitErr(name, <-exited)
	}
	t := time.NewTimer(killAfter)
	defer t.Stop()
	select {
	case err := <-exited:
		return c.exitErr(name, err)
	case <-t.C:
		_ = c.signal(syscall.SIGKILL)
		err := <-exited
		return fmt.Errorf("%s still running %s after %s, killed: %w", name, killAfter, sig, err)
	}
}

// String names the program by its file name.
func (c *Command) String() string { return filepath.Base(c.Cmd.Path) }

// signal sends sig to the program, or to its process group when it leads one.
func (c *Command) signal(sig syscall.Signal) error {
	if a := c.Cmd.SysProcAttr; a != nil && a.Setpgid {
		return syscall.Kill(-c.Cmd.Process.Pid, sig)
	}
	return c.Cmd.Process.Signal(sig)
}

func (c *Command) exitErr(name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// WaitHealthy polls url until it answers 200 OK, failing the test after timeout or as soon as
// Run returns.
func (r *Running) WaitHealthy(url string, timeout time.Duration) {
	r.tb.Helper()
	r.WaitHealthyWith(&http.Client{Timeout: time.Second}, url, timeout)
}

// WaitHealthyWith is WaitHealthy asking with c: a client of a server that serves TLS only, for
// one, trusting its CA. c should bound each request with a timeout shorter than timeout.
func (r *Running) WaitHealthyWith(c *http.Client, url string, timeout time.Duration) {
	r.tb.Helper()
	r.WaitFor(timeout, func() bool {
		resp, err := c.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "%s answers 200", url)
}
