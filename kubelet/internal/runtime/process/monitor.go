package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cgroups"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/logs"
)

// readyFD is the descriptor on which "monitor run" finds the write end of its launcher's pipe: it
// closes it once the start or the failure to start is on record.
const readyFD = 3

// drainWait bounds how long the monitor waits for the output pipes to close after the process
// ended (a grandchild that left the cgroup may hold them open).
const drainWait = 2 * time.Second

// RunMonitor is the keelson-kubelet-monitor binary and the hidden "monitor" subcommand of the
// kubelet binary; args are what follows it:
//
//	start <container dir>   launch the monitor for a created container, detached, and return once
//	                        the process runs (an error if it could not start)
//	run <container dir>     be that monitor (started by "start" in a new session)
//	exec --cgroup-root <root> --cgroup <path> -- <command...>
//	                        join the cgroup and exec the command (the container's process, ExecSync)
//
// RunMonitor returns when its mode is done; exec mode returns only on failure.
func RunMonitor(args []string) error {
	// A monitor mostly waits; one P keeps its threads and garbage collector small, as a node runs
	// one monitor per container.
	runtime.GOMAXPROCS(1)
	if len(args) < 1 {
		return errors.New("monitor: want start, run or exec")
	}
	switch mode, rest := args[0], args[1:]; {
	case mode == "exec":
		return runExec(rest)
	case len(rest) != 1:
		return fmt.Errorf("monitor %s: want one container directory", mode)
	case mode == "start":
		return launch(rest[0])
	case mode == "run":
		return monitor(rest[0])
	default:
		return fmt.Errorf("monitor: unknown mode %q", mode)
	}
}

// launch starts "monitor run" for the container in dir in a new session, with its output in the
// directory's monitor.log, and waits until it recorded the start or the failure to start. The
// monitor says so by closing its end of a pipe (readyFD): waiting costs no polling, which matters
// when many containers start at once on a busy node.
func launch(dir string) error {
	var c containerRecord
	if err := readJSON(filepath.Join(dir, configFile), &c); err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, monitorLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("monitor log: %w", err)
	}
	defer func() { _ = logFile.Close() }()
	ready, readyW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("monitor ready pipe: %w", err)
	}
	defer func() { _ = ready.Close() }()
	args := append(append([]string{}, c.MonitorCommand[1:]...), "run", dir)
	cmd := exec.Command(c.MonitorCommand[0], args...)
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{readyW} // readyFD in the monitor
	// A session of its own: no terminal, no signal aimed at the kubelet's process group reaches it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = readyW.Close()
	if err != nil {
		return fmt.Errorf("start monitor: %w", err)
	}
	// The monitor keeps running: it is not waited for, and init reaps it once this process exits.
	_ = cmd.Process.Release()
	// EOF once the monitor has recorded the start or the failure, or has ended.
	_, _ = io.Copy(io.Discard, ready)
	if exists(filepath.Join(dir, startedFile)) {
		return nil
	}
	var ex exitRecord
	if readJSON(filepath.Join(dir, exitFile), &ex) == nil {
		return fmt.Errorf("%s", ex.Message)
	}
	b, _ := os.ReadFile(filepath.Join(dir, monitorLog))
	return fmt.Errorf("monitor ended before starting the container: %s", b)
}

// monitor runs the container in dir to its end: it starts the process in the container's cgroup
// with its output into the log, records the start, forwards stop signals, waits, kills whatever
// the process left in the cgroup, and records the exit.
func monitor(dir string) error {
	ready := readyPipe()
	defer ready.Close() // idempotent: the launcher is told at the latest when the monitor ends
	var c containerRecord
	if err := readJSON(filepath.Join(dir, configFile), &c); err != nil {
		return err
	}
	fail := func(err error) error {
		defer ready.Close()
		ex := exitRecord{ExitCode: 128, Reason: cri.ReasonStartError, Message: err.Error(), FinishedAt: time.Now()}
		if werr := writeJSON(filepath.Join(dir, exitFile), &ex); werr != nil {
			return errors.Join(err, werr)
		}
		return err
	}
	cg, err := cgroups.New(c.CgroupRoot)
	if err != nil {
		return fail(err)
	}
	if c.MonitorCgroup != "" {
		// Out of the kubelet's cgroup, so that stopping the kubelet's unit spares the monitors.
		// CreateContainer made the cgroup: a monitor only joins it. One started as its kubelet
		// stopped may run after the kubelet's cgroups were removed, and must not make them again.
		if err := cg.AddProcess(c.MonitorCgroup, os.Getpid()); err != nil {
			return fail(err)
		}
	}
	w, err := logs.NewWriter(c.LogPath, logs.WriterOptions{MaxSize: c.LogMaxSize, MaxFiles: c.LogMaxFiles})
	if err != nil {
		return fail(err)
	}
	defer func() { _ = w.Close() }()
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	h := newHelper(&c, c.Argv)
	h.cmd.Stdout, h.cmd.Stderr = outW, errW
	err = h.start()
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		return fail(err)
	}
	pid := h.cmd.Process.Pid
	started := startedRecord{MonitorPID: os.Getpid(), PID: pid, StartedAt: time.Now()}
	started.PIDStartTime, _, _ = procStart(pid)
	if started.MonitorStartTime, err = selfStart(); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return fail(err)
	}
	if err := writeJSON(filepath.Join(dir, startedFile), &started); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return fail(err)
	}
	ready.Close()

	var copies sync.WaitGroup
	for _, p := range []struct {
		s logs.Stream
		r *os.File
	}{{logs.Stdout, outR}, {logs.Stderr, errR}} {
		copies.Go(func() {
			if err := w.Copy(p.s, p.r); err != nil {
				fmt.Fprintln(os.Stderr, "monitor:", err)
			}
		})
	}
	waited := make(chan struct{})
	go func() {
		// The exit status is read from h.cmd.ProcessState below.
		_ = h.cmd.Wait()
		close(waited)
	}()
wait:
	for {
		select {
		case s := <-sigs:
			if s == syscall.SIGHUP {
				if err := w.Reopen(); err != nil {
					fmt.Fprintln(os.Stderr, "monitor:", err)
				}
				continue
			}
			_ = syscall.Kill(-pid, s.(syscall.Signal))
		case <-waited:
			break wait
		}
	}
	finished := time.Now()
	// Like the end of a container's PID namespace: nothing outlives the main process.
	if err := cg.Kill(c.Cgroup); err != nil {
		fmt.Fprintln(os.Stderr, "monitor:", err)
	}
	drained := make(chan struct{})
	go func() {
		copies.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(drainWait):
		_ = outR.Close()
		_ = errR.Close()
		<-drained
	}
	ex := exitRecord{ExitCode: exitCode(h.cmd.ProcessState), FinishedAt: finished}
	if ws, ok := h.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		ex.Signal = ws.Signal().String()
	}
	if n, err := cg.OOMKills(c.Cgroup); err != nil {
		fmt.Fprintln(os.Stderr, "monitor:", err)
	} else {
		ex.OOMKilled = n > 0
	}
	return writeJSON(filepath.Join(dir, exitFile), &ex)
}

// readyNotice is the write end of the launcher's pipe, if this monitor was given one.
type readyNotice struct {
	f *os.File
}

// readyPipe takes readyFD if it is the pipe a launcher passed (and not a descriptor this process
// opened itself), keeping it from the processes the monitor starts.
func readyPipe() *readyNotice {
	var st syscall.Stat_t
	if err := syscall.Fstat(readyFD, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return &readyNotice{}
	}
	syscall.CloseOnExec(readyFD)
	return &readyNotice{f: os.NewFile(readyFD, "ready")}
}

// Close tells the launcher the start is on record. Later calls do nothing.
func (n *readyNotice) Close() {
	if n.f != nil {
		_ = n.f.Close()
		n.f = nil
	}
}
