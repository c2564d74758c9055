package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cgroups"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// The exec helper is the monitor binary's "exec" mode: started with the container's environment
// and working directory, it moves itself into the container's cgroup and execs the command, so
// the command runs in the cgroup from its first instruction and the monitor stays outside it.
// It reports a failure to exec on file descriptor 3, which a successful exec closes.
const (
	execFlagCgroupRoot = "--cgroup-root"
	execFlagCgroup     = "--cgroup"
	statusFD           = 3
)

// defaultPath finds a command when the container's environment sets no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// helper is an exec helper process being started.
type helper struct {
	cmd *exec.Cmd
}

// newHelper prepares the exec helper that runs argv in container c's context. The caller sets
// the command's stdio and calls start.
func newHelper(c *containerRecord, argv []string) *helper {
	args := append([]string{}, c.MonitorCommand[1:]...)
	args = append(args, "exec", execFlagCgroupRoot, c.CgroupRoot, execFlagCgroup, c.Cgroup)
	for _, m := range c.Mounts {
		args = append(args, execFlagMount, mountArg(m))
	}
	args = append(args, "--")
	args = append(args, argv...)
	cmd := exec.Command(c.MonitorCommand[0], args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean the monitor's own environment
	}
	cmd.Dir = c.WorkingDir
	// Its own process group, so a stop signal reaches the command and everything it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if len(c.Mounts) > 0 {
		cmd.SysProcAttr.Unshareflags = syscall.CLONE_NEWNS
	}
	return &helper{cmd: cmd}
}

// start starts the helper and waits until it has exec'd the command. It returns the exec error
// the helper reported, after reaping the helper.
func (h *helper) start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("status pipe: %w", err)
	}
	h.cmd.ExtraFiles = []*os.File{w}
	err = h.cmd.Start()
	_ = w.Close()
	if err != nil {
		_ = r.Close()
		return fmt.Errorf("start %s: %w", h.cmd.Path, err)
	}
	msg, _ := io.ReadAll(r)
	_ = r.Close()
	if len(msg) > 0 {
		_ = h.cmd.Wait()
		return errors.New(strings.TrimSpace(string(msg)))
	}
	return nil
}

// ExecSync implements cri.Runtime: the command runs with the container's environment, working
// directory and cgroup. A timeout of 0 means none; on timeout the command's process group is
// killed and an error returned.
func (r *Runtime) ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (*cri.ExecResult, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("exec in container %s: empty command", containerID)
	}
	c, err := r.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	if st := r.state(containerID).state; st != cri.ContainerRunning {
		return nil, fmt.Errorf("exec in container %s: container is %s, not running", containerID, st)
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	h := newHelper(c, cmd)
	var stdout, stderr bytes.Buffer
	h.cmd.Stdout, h.cmd.Stderr = &stdout, &stderr
	if err := h.start(); err != nil {
		return nil, fmt.Errorf("exec %q in container %s: %w", cmd[0], containerID, err)
	}
	var waitErr error
	done := make(chan struct{})
	go func() {
		waitErr = h.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
		err = waitErr
	case <-ctx.Done():
		_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return nil, fmt.Errorf("exec %q in container %s: %w", cmd[0], containerID, ctx.Err())
	}
	res := &cri.ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitCode(exitErr.ProcessState)
	default:
		return nil, fmt.Errorf("exec %q in container %s: %w", cmd[0], containerID, err)
	}
	return res, nil
}

// exitCode is a process's exit code as a shell reports it: 128+signal for a killed process.
func exitCode(ps *os.ProcessState) int32 {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int32(ws.Signal())
	}
	return int32(ps.ExitCode())
}

// runExec is the exec helper: args are --cgroup-root <root> --cgroup <path> -- <argv...>. It
// returns only if it could not exec, after writing why to the status descriptor.
func runExec(args []string) error {
	err := execInCgroup(args)
	status := os.NewFile(statusFD, "status")
	if _, werr := fmt.Fprintln(status, err); werr != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return err
}

// execInCgroup joins the cgroup named in args and execs the command.
func execInCgroup(args []string) error {
	var root, cg string
	var mounts []cri.Mount
	for len(args) > 0 && args[0] != "--" {
		if len(args) < 2 {
			return fmt.Errorf("exec helper: flag %s needs a value", args[0])
		}
		switch args[0] {
		case execFlagCgroupRoot:
			root = args[1]
		case execFlagCgroup:
			cg = args[1]
		case execFlagMount:
			m, err := parseMount(args[1])
			if err != nil {
				return err
			}
			mounts = append(mounts, m)
		default:
			return fmt.Errorf("exec helper: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 2 {
		return errors.New("exec helper: no command after --")
	}
	argv := args[1:]
	if cg != "" {
		m, err := cgroups.New(root)
		if err != nil {
			return err
		}
		if err := m.AddProcess(cg, os.Getpid()); err != nil {
			return err
		}
	}
	if err := bindMounts(mounts); err != nil {
		return err
	}
	bin, err := lookPath(argv[0], os.Getenv("PATH"))
	if err != nil {
		return err
	}
	syscall.CloseOnExec(statusFD)
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
	}
	return nil
}

// lookPath finds name in the container's PATH (defaultPath if it sets none), as a shell would.
func lookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", fmt.Errorf("command %q: %w", name, err)
		}
		return name, nil
	}
	if pathEnv == "" {
		pathEnv = defaultPath
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q: not found in PATH %s", name, pathEnv)
}

// executable reports why p is not an executable file, or nil.
func executable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}
