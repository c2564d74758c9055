package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// ErrNoCommand is returned (wrapped) by CreateContainer for a container without a command: the
// process runtime has no image to take a default entrypoint from.
var ErrNoCommand = errors.New("the process runtime runs a host process and needs a command; set the container's command")

// killWait bounds how long StopContainer waits for a killed container's monitor to record the exit.
const killWait = 10 * time.Second

// reopenWait bounds how long ReopenContainerLog waits for the monitor to open the new file.
const reopenWait = 5 * time.Second

func isNotFound(err error) bool { return errors.Is(err, cri.ErrNotFound) }

// CreateContainer implements cri.Runtime: it checks the config, makes the container's cgroup
// below the sandbox's with the container's limits (and the monitors' cgroup, if missing), and
// records the container.
func (r *Runtime) CreateContainer(_ context.Context, podSandboxID string, config *cri.ContainerConfig, _ *cri.PodSandboxConfig) (string, error) {
	if config == nil {
		return "", fmt.Errorf("create container: no config")
	}
	name := config.Metadata.Name
	if len(config.Command) == 0 {
		return "", fmt.Errorf("create container %q: %w", name, ErrNoCommand)
	}
	// The sandbox is read again under the lock StopPodSandbox marks it NotReady under: no
	// container is added to a sandbox being stopped or removed.
	s, err := r.loadSandbox(podSandboxID)
	if err != nil {
		return "", fmt.Errorf("create container %q: %w", name, err)
	}
	mu := r.podLock(s.Cgroup)
	mu.Lock()
	defer mu.Unlock()
	if s, err = r.loadSandbox(podSandboxID); err != nil {
		return "", fmt.Errorf("create container %q: %w", name, err)
	}
	if s.State != cri.SandboxReady {
		return "", fmt.Errorf("create container %q: sandbox %s is not ready", name, podSandboxID)
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	logPath := config.LogPath
	if logPath == "" {
		logPath = fmt.Sprintf("%s/%d.log", name, config.Metadata.Attempt)
	}
	if !filepath.IsAbs(logPath) {
		logPath = filepath.Join(s.LogDirectory, logPath)
	}
	workDir := config.WorkingDir
	if workDir == "" {
		workDir = "/"
	}
	env := make([]string, 0, len(config.Env))
	for _, kv := range config.Env {
		env = append(env, kv.Key+"="+kv.Value)
	}
	c := &containerRecord{
		ID:             id,
		SandboxID:      podSandboxID,
		Metadata:       config.Metadata,
		Image:          config.Image,
		Argv:           append(append([]string{}, config.Command...), config.Args...),
		WorkingDir:     workDir,
		Env:            env,
		LogPath:        logPath,
		LogMaxSize:     r.opts.LogMaxSize,
		LogMaxFiles:    r.opts.LogMaxFiles,
		CgroupRoot:     r.opts.CgroupRoot,
		Cgroup:         path.Join(s.Cgroup, id),
		MonitorCgroup:  r.opts.MonitorCgroup,
		MonitorCommand: r.opts.MonitorCommand,
		CreatedAt:      time.Now(),
		Labels:         config.Labels,
		Annotations:    config.Annotations,
		Mounts:         config.Mounts,
	}
	if err := r.cgroups.Create(c.Cgroup, toResources(config.Resources)); err != nil {
		return "", fmt.Errorf("create container %q: %w", name, err)
	}
	if c.MonitorCgroup != "" {
		if err := r.cgroups.Create(c.MonitorCgroup, nil); err != nil {
			_ = r.cgroups.Remove(context.Background(), c.Cgroup)
			return "", fmt.Errorf("create container %q: monitor cgroup: %w", name, err)
		}
	}
	dir := r.containerDir(id)
	err = os.MkdirAll(dir, 0o750)
	if err == nil {
		err = writeJSON(filepath.Join(dir, configFile), c)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		_ = r.cgroups.Remove(context.Background(), c.Cgroup)
		return "", fmt.Errorf("create container %q: %w", name, err)
	}
	return id, nil
}

// StartContainer implements cri.Runtime: it launches the container's monitor and returns once
// the process runs, or with the reason it could not start (also recorded as a StartError exit).
func (r *Runtime) StartContainer(ctx context.Context, containerID string) error {
	c, err := r.loadContainer(containerID)
	if err != nil {
		return err
	}
	dir := r.containerDir(containerID)
	// Claimed once and for all: a second start fails, and starts of other containers run in parallel.
	claim, err := os.OpenFile(filepath.Join(dir, startingFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("start container %s: already started", containerID)
		}
		return fmt.Errorf("start container %s: %w", containerID, err)
	}
	_ = claim.Close()
	args := append(append([]string{}, c.MonitorCommand[1:]...), "start", dir)
	cmd := exec.CommandContext(ctx, c.MonitorCommand[0], args...)
	cmd.Dir = "/"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("start container %s (%s): %s", containerID, c.Metadata.Name, msg)
	}
	return nil
}

// containerState is what the files of a container's directory say about it.
type containerState struct {
	state   cri.ContainerState
	started *startedRecord
	exit    *exitRecord
}

// state reads a container's started and exit records and decides its state. A started container
// whose monitor and process are both gone without an exit record is Unknown.
func (r *Runtime) state(id string) containerState {
	run := r.loadRun(id)
	st := containerState{started: run.started, exit: run.exit}
	switch {
	case st.exit != nil:
		st.state = cri.ContainerExited
	case st.started == nil:
		st.state = cri.ContainerCreated
	case alive(st.started.PID, st.started.PIDStartTime) || alive(st.started.MonitorPID, st.started.MonitorStartTime):
		st.state = cri.ContainerRunning
	default:
		// The monitor may have written exit.json since it was looked for.
		if run = r.recheckExit(id, run); run.exit != nil {
			st.exit, st.state = run.exit, cri.ContainerExited
		} else {
			st.state = cri.ContainerUnknown
		}
	}
	return st
}

// StopContainer implements cri.Runtime.
func (r *Runtime) StopContainer(ctx context.Context, containerID string, timeout time.Duration) error {
	c, err := r.loadContainer(containerID)
	if err != nil {
		return err
	}
	st := r.state(containerID)
	if st.state != cri.ContainerRunning {
		if st.state == cri.ContainerUnknown {
			// No monitor is left to record anything: make sure nothing runs in the cgroup.
			return r.cgroups.Kill(c.Cgroup)
		}
		return nil
	}
	exited := func() bool { return exists(filepath.Join(r.containerDir(containerID), exitFile)) }
	pid, start := st.started.PID, st.started.PIDStartTime
	if timeout > 0 && alive(pid, start) {
		if err := signalContainer(pid, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop container %s: %w", containerID, err)
		}
		if waitFor(ctx, timeout, exited) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stop container %s: %w", containerID, ctx.Err())
		}
	}
	if alive(pid, start) {
		if err := signalContainer(pid, syscall.SIGKILL); err != nil {
			return fmt.Errorf("stop container %s: %w", containerID, err)
		}
	}
	if err := r.cgroups.Kill(c.Cgroup); err != nil {
		return fmt.Errorf("stop container %s: %w", containerID, err)
	}
	if !waitFor(ctx, killWait, func() bool { return exited() || r.state(containerID).state != cri.ContainerRunning }) {
		return fmt.Errorf("stop container %s: its monitor did not record the exit within %s", containerID, killWait)
	}
	return nil
}

// signalContainer sends sig to the process group the container's process leads (so a shell's
// children get it too), or to the process alone if it left that group.
func signalContainer(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		err = syscall.Kill(pid, sig)
	}
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s to process %d: %w", sig, pid, err)
	}
	return nil
}

// RemoveContainer implements cri.Runtime. A container still running is killed first.
func (r *Runtime) RemoveContainer(ctx context.Context, containerID string) error {
	c, err := r.loadContainer(containerID)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if err := r.StopContainer(ctx, containerID, 0); err != nil {
		return err
	}
	mu := r.podLock(path.Dir(c.Cgroup)) // the sandbox's cgroup
	mu.Lock()
	defer mu.Unlock()
	if err := r.cgroups.Remove(ctx, c.Cgroup); err != nil {
		return fmt.Errorf("remove container %s: %w", containerID, err)
	}
	if err := os.RemoveAll(r.containerDir(containerID)); err != nil {
		return fmt.Errorf("remove container %s: %w", containerID, err)
	}
	r.forget(containerID)
	return nil
}

// ListContainers implements cri.Runtime.
func (r *Runtime) ListContainers(_ context.Context, filter *cri.ContainerFilter) ([]*cri.Container, error) {
	ids, err := r.ids(containerDir, &r.containerIDs, filter == nil)
	if err != nil {
		return nil, err
	}
	if filter != nil {
		ids = r.containerCandidates(ids, filter)
	}
	var out []*cri.Container
	for _, id := range ids {
		c, err := r.sharedContainer(id)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		if filter != nil && (filter.PodSandboxID != "" && filter.PodSandboxID != c.SandboxID || !matchLabels(c.Labels, filter.LabelSelector)) {
			continue
		}
		state := r.state(id).state
		if filter != nil && filter.State != nil && *filter.State != state {
			continue
		}
		out = append(out, &cri.Container{
			ID: id, PodSandboxID: c.SandboxID, Metadata: c.Metadata, Image: c.Image, State: state,
			CreatedAt: c.CreatedAt, Labels: c.Labels, Annotations: c.Annotations,
		})
	}
	return out, nil
}

// ContainerStatus implements cri.Runtime.
func (r *Runtime) ContainerStatus(_ context.Context, containerID string) (*cri.ContainerStatus, error) {
	c, err := r.loadContainer(containerID)
	if err != nil {
		return nil, err
	}
	st := r.state(containerID)
	cs := &cri.ContainerStatus{
		ID: containerID, PodSandboxID: c.SandboxID, Metadata: c.Metadata, Image: c.Image,
		State: st.state, CreatedAt: c.CreatedAt, LogPath: c.LogPath, Labels: c.Labels, Annotations: c.Annotations,
	}
	if st.started != nil {
		cs.StartedAt = st.started.StartedAt
		if st.state == cri.ContainerRunning {
			cs.PID = st.started.PID
		}
	}
	switch {
	case st.exit != nil:
		cs.ExitCode, cs.FinishedAt, cs.Message = st.exit.ExitCode, st.exit.FinishedAt, st.exit.Message
		cs.Reason = exitReason(st.exit)
	case st.state == cri.ContainerUnknown:
		cs.Message = "the container's monitor ended without recording an exit"
	}
	return cs, nil
}

// exitReason is the Kubernetes reason for an exit record.
func exitReason(e *exitRecord) string {
	switch {
	case e.Reason != "":
		return e.Reason
	case e.OOMKilled:
		return cri.ReasonOOMKilled
	case e.ExitCode == 0:
		return cri.ReasonCompleted
	default:
		return cri.ReasonError
	}
}

// ReopenContainerLog implements cri.Runtime: the monitor reopens the file at the container's log
// path (SIGHUP). The monitor's writer already rotates by size by itself; this serves a kubelet
// that renamed the file aside.
func (r *Runtime) ReopenContainerLog(ctx context.Context, containerID string) error {
	c, err := r.loadContainer(containerID)
	if err != nil {
		return err
	}
	st := r.state(containerID)
	if st.state != cri.ContainerRunning || !alive(st.started.MonitorPID, st.started.MonitorStartTime) {
		return fmt.Errorf("reopen log of container %s: it is not running", containerID)
	}
	if err := syscall.Kill(st.started.MonitorPID, syscall.SIGHUP); err != nil {
		return fmt.Errorf("reopen log of container %s: %w", containerID, err)
	}
	if !waitFor(ctx, reopenWait, func() bool { return exists(c.LogPath) }) {
		return fmt.Errorf("reopen log of container %s: %s did not appear within %s", containerID, c.LogPath, reopenWait)
	}
	return nil
}
