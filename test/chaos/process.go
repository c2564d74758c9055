package chaos

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/test/framework"
)

// Process is one daemon of the cluster run as a built binary. Kill ends it with SIGKILL, as a
// crash would; Start runs it again with the same arguments and data, as its supervisor would.
// Its output goes to a log file that Tail reads back for failure messages.
type Process struct {
	// Name says which daemon this is in messages, e.g. "apiserver-1".
	Name string

	tb     testing.TB
	newCmd func() *framework.Command
	// stopsBySignal marks a program that exits by SIGTERM itself when asked to stop (signalExit).
	stopsBySignal bool
	logPath       string

	mu  sync.Mutex
	cmd *framework.Command
	run *framework.Running
}

// newProcess prepares a Process running path with args, logging to logPath; it does not start it.
func newProcess(tb testing.TB, name, logPath, path string, args ...string) *Process {
	tb.Helper()
	p := &Process{Name: name, tb: tb, logPath: logPath}
	p.newCmd = func() *framework.Command {
		cmd := exec.Command(path, args...) //nolint:noctx // framework.Command stops it
		p.attachLog(cmd)
		return &framework.Command{Cmd: cmd, KillAfter: 15 * time.Second}
	}
	return p
}

// signalExit is a Command for a program, such as etcd, that exits on SIGTERM by dying of it
// again once it has shut down: that counts as a clean stop when the test asked for it.
type signalExit struct{ *framework.Command }

// Run runs the command; an exit by SIGTERM after ctx ended is a clean stop.
func (s signalExit) Run(ctx context.Context) error {
	err := s.Command.Run(ctx)
	var ee *exec.ExitError
	if ctx.Err() != nil && errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return err
}

// attachLog appends cmd's output to the process's log file, closed once the test's processes
// have stopped.
func (p *Process) attachLog(cmd *exec.Cmd) {
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.tb.Fatalf("%s: log: %v", p.Name, err)
	}
	// Registered before the process starts, so it runs after the process has stopped.
	p.tb.Cleanup(func() { _ = f.Close() })
	cmd.Stdout, cmd.Stderr = f, f
}

// Start runs the process; it stops when the test ends (framework.Start), and an exit the test did
// not cause (Kill) fails the test.
func (p *Process) Start() {
	p.tb.Helper()
	cmd := p.newCmd()
	var r framework.Runner = cmd
	if p.stopsBySignal {
		r = signalExit{cmd}
	}
	run := framework.Start(p.tb, r)
	p.mu.Lock()
	p.cmd, p.run = cmd, run
	p.mu.Unlock()
}

// Kill sends SIGKILL and waits for the process to die.
func (p *Process) Kill() {
	p.tb.Helper()
	p.mu.Lock()
	cmd, run := p.cmd, p.run
	p.mu.Unlock()
	if err := cmd.Signal(syscall.SIGKILL); err != nil {
		p.tb.Fatalf("kill -9 %s: %v", p.Name, err)
	}
	if err := run.Wait(10 * time.Second); err == nil {
		p.tb.Fatalf("%s exited cleanly after kill -9", p.Name)
	}
}

// Running returns the current run of the process.
func (p *Process) Running() *framework.Running {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.Running().Done():
		return false
	default:
		return true
	}
}

// Log returns what the process has written so far, through every restart.
func (p *Process) Log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	return string(b)
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
