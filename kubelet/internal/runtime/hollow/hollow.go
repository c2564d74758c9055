// Package hollow is a container runtime that runs nothing: every container it starts is Running
// at once and stays so, or exits 0 after the duration its pod's HollowRunDuration annotation gives.
// It keeps a few hundred bytes per container and starts no goroutine or timer, so one process can
// hold the pods of thousands of hollow nodes for scale tests of the scheduler and controllers.
//
// State is computed lazily from the injected clock: a container due to exit is reported exited
// from its due time on, whenever it is next listed or inspected.
package hollow

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// HollowRunDuration is the pod annotation that makes its containers exit 0 after the given Go
// duration (for example "5s") instead of running for ever.
const HollowRunDuration = "keelson.dev/hollow-run-duration"

// RuntimeName is the name Version reports.
const RuntimeName = "hollow"

// Runtime is the hollow runtime. The zero value is not usable; call New.
type Runtime struct {
	clock clock.Clock

	mu         sync.Mutex
	seq        uint64
	sandboxes  map[string]*sandbox
	containers map[string]*container
}

type sandbox struct {
	info   cri.PodSandbox
	logDir string
}

type container struct {
	info       cri.Container
	runFor     time.Duration // 0: runs until stopped
	startedAt  time.Time
	finishedAt time.Time
	exitCode   int32
	reason     string
	logPath    string
}

var _ cri.Runtime = (*Runtime)(nil)

// New returns an empty hollow runtime reading time from clk.
func New(clk clock.Clock) *Runtime {
	return &Runtime{clock: clk, sandboxes: map[string]*sandbox{}, containers: map[string]*container{}}
}

// Version names the runtime.
func (r *Runtime) Version(context.Context) (cri.VersionInfo, error) {
	return cri.VersionInfo{RuntimeName: RuntimeName, RuntimeVersion: "0.1.0"}, nil
}

func (r *Runtime) nextIDLocked(prefix string) string {
	r.seq++
	return prefix + strconv.FormatUint(r.seq, 36)
}

// RunPodSandbox records a ready sandbox; its IP is empty, as a hollow pod has no network.
func (r *Runtime) RunPodSandbox(_ context.Context, cfg *cri.PodSandboxConfig) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.nextIDLocked("s")
	r.sandboxes[id] = &sandbox{
		info: cri.PodSandbox{
			ID: id, Metadata: cfg.Metadata, State: cri.SandboxReady, CreatedAt: r.clock.Now(),
			Labels: maps.Clone(cfg.Labels), Annotations: maps.Clone(cfg.Annotations),
		},
		logDir: cfg.LogDirectory,
	}
	return id, nil
}

// StopPodSandbox exits every running container of the sandbox with code 137 and marks it NotReady.
func (r *Runtime) StopPodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return nil
	}
	for _, c := range r.containers {
		if c.info.PodSandboxID == id {
			r.killLocked(c)
		}
	}
	s.info.State = cri.SandboxNotReady
	return nil
}

// RemovePodSandbox forgets a sandbox and its containers.
func (r *Runtime) RemovePodSandbox(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for cid, c := range r.containers {
		if c.info.PodSandboxID == id {
			delete(r.containers, cid)
		}
	}
	delete(r.sandboxes, id)
	return nil
}

// PodSandboxStatus reports one sandbox.
func (r *Runtime) PodSandboxStatus(_ context.Context, id string) (*cri.PodSandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[id]
	if !ok {
		return nil, fmt.Errorf("sandbox %s: %w", id, cri.ErrNotFound)
	}
	out := s.info
	return &out, nil
}

// ListPodSandbox lists the sandboxes filter selects.
func (r *Runtime) ListPodSandbox(_ context.Context, f *cri.SandboxFilter) ([]*cri.PodSandbox, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*cri.PodSandbox
	for _, s := range r.sandboxes {
		if f != nil && ((f.ID != "" && f.ID != s.info.ID) || (f.State != nil && *f.State != s.info.State) || !selects(f.LabelSelector, s.info.Labels)) {
			continue
		}
		info := s.info
		out = append(out, &info)
	}
	return out, nil
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// CreateContainer records a created container. The sandbox's HollowRunDuration annotation, if
// any, decides how long it will run; a malformed one fails here.
func (r *Runtime) CreateContainer(_ context.Context, sandboxID string, cfg *cri.ContainerConfig, sandboxCfg *cri.PodSandboxConfig) (string, error) {
	var runFor time.Duration
	if v, ok := sandboxCfg.Annotations[HollowRunDuration]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return "", fmt.Errorf("annotation %s: %q is not a non-negative duration", HollowRunDuration, v)
		}
		runFor = d
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sandboxes[sandboxID]
	if !ok {
		return "", fmt.Errorf("sandbox %s: %w", sandboxID, cri.ErrNotFound)
	}
	if s.info.State != cri.SandboxReady {
		return "", fmt.Errorf("sandbox %s is not ready", sandboxID)
	}
	id := r.nextIDLocked("c")
	r.containers[id] = &container{
		info: cri.Container{
			ID: id, PodSandboxID: sandboxID, Metadata: cfg.Metadata, Image: cfg.Image,
			State: cri.ContainerCreated, CreatedAt: r.clock.Now(), Labels: maps.Clone(cfg.Labels),
		},
		runFor:  runFor,
		logPath: filepath.Join(s.logDir, cfg.LogPath),
	}
	return id, nil
}

// StartContainer marks a created container Running.
func (r *Runtime) StartContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
	}
	if c.info.State != cri.ContainerCreated {
		return fmt.Errorf("container %s is %s, not Created", id, c.info.State)
	}
	c.info.State = cri.ContainerRunning
	c.startedAt = r.clock.Now()
	return nil
}

// StopContainer exits a running container at once: nothing runs, so nothing needs the grace
// period. The exit code is 137, as for a process ended by SIGKILL, unless it had already finished.
func (r *Runtime) StopContainer(_ context.Context, id string, _ time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
	}
	r.killLocked(c)
	return nil
}

// killLocked ends c as a stop does; a container that would have finished by now finishes normally.
func (r *Runtime) killLocked(c *container) {
	r.advanceLocked(c)
	if c.info.State == cri.ContainerExited {
		return
	}
	if c.info.State == cri.ContainerCreated {
		c.startedAt = r.clock.Now()
	}
	c.info.State = cri.ContainerExited
	c.finishedAt = r.clock.Now()
	c.exitCode = 137
	c.reason = cri.ReasonError
}

// advanceLocked exits c if its run duration has passed.
func (r *Runtime) advanceLocked(c *container) {
	if c.info.State != cri.ContainerRunning || c.runFor == 0 {
		return
	}
	if end := c.startedAt.Add(c.runFor); !r.clock.Now().Before(end) {
		c.info.State = cri.ContainerExited
		c.finishedAt = end
		c.exitCode = 0
		c.reason = cri.ReasonCompleted
	}
}

// RemoveContainer forgets a container.
func (r *Runtime) RemoveContainer(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, id)
	return nil
}

// ListContainers lists the containers filter selects.
func (r *Runtime) ListContainers(_ context.Context, f *cri.ContainerFilter) ([]*cri.Container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*cri.Container
	for _, c := range r.containers {
		r.advanceLocked(c)
		if f != nil && ((f.ID != "" && f.ID != c.info.ID) || (f.PodSandboxID != "" && f.PodSandboxID != c.info.PodSandboxID) ||
			(f.State != nil && *f.State != c.info.State) || !selects(f.LabelSelector, c.info.Labels)) {
			continue
		}
		info := c.info
		out = append(out, &info)
	}
	return out, nil
}

// ContainerStatus reports one container.
func (r *Runtime) ContainerStatus(_ context.Context, id string) (*cri.ContainerStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil, fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
	}
	r.advanceLocked(c)
	return &cri.ContainerStatus{
		ID: c.info.ID, PodSandboxID: c.info.PodSandboxID, Metadata: c.info.Metadata, Image: c.info.Image,
		State: c.info.State, CreatedAt: c.info.CreatedAt, StartedAt: c.startedAt, FinishedAt: c.finishedAt,
		ExitCode: c.exitCode, Reason: c.reason, LogPath: c.logPath, Labels: maps.Clone(c.info.Labels),
	}, nil
}

// ExecSync succeeds with no output for a running container.
func (r *Runtime) ExecSync(_ context.Context, id string, _ []string, _ time.Duration) (*cri.ExecResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil, fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
	}
	r.advanceLocked(c)
	if c.info.State != cri.ContainerRunning {
		return nil, fmt.Errorf("container %s is %s, not Running", id, c.info.State)
	}
	return &cri.ExecResult{}, nil
}

// ReopenContainerLog does nothing: a hollow container writes no log.
func (r *Runtime) ReopenContainerLog(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.containers[id]; !ok {
		return fmt.Errorf("container %s: %w", id, cri.ErrNotFound)
	}
	return nil
}
