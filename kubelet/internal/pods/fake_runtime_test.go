package pods

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// run is what the fake does with one run of a container, scripted per container name.
type run struct {
	exitAfter time.Duration // with exits: the run ends exitAfter after it starts
	exits     bool
	code      int32
	createErr error
}

// fakeRuntime is a scriptable in-memory cri.Runtime. Runs of a container follow its script in
// order (the last entry repeats); without a script a container runs until stopped.
type fakeRuntime struct {
	clock clock.Clock

	mu         sync.Mutex
	seq        int
	sandboxes  map[string]*cri.PodSandbox
	containers map[string]*fakeContainer
	scripts    map[string][]run // by container name
	execs      map[string]func(cmd []string) (*cri.ExecResult, error)
	log        []string // calls in order: "start <name>", "stop <name> <timeout>", "exec <name> <cmd>"
	starts     map[string][]time.Time
}

type fakeContainer struct {
	status cri.ContainerStatus
	script run
}

var _ cri.Runtime = (*fakeRuntime)(nil)

func newFakeRuntime(clk clock.Clock) *fakeRuntime {
	return &fakeRuntime{
		clock: clk, sandboxes: map[string]*cri.PodSandbox{}, containers: map[string]*fakeContainer{},
		scripts: map[string][]run{}, execs: map[string]func([]string) (*cri.ExecResult, error){},
		starts: map[string][]time.Time{},
	}
}

func (f *fakeRuntime) script(name string, runs ...run) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[name] = runs
}

func (f *fakeRuntime) onExec(name string, fn func(cmd []string) (*cri.ExecResult, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.execs[name] = fn
}

// exit ends the running run of the named container with code now.
func (f *fakeRuntime) exit(name string, code int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		f.advanceLocked(c)
		if c.status.Metadata.Name == name && c.status.State == cri.ContainerRunning {
			f.endLocked(c, code, f.clock.Now())
		}
	}
}

func (f *fakeRuntime) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeRuntime) startTimes(name string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.starts[name]...)
}

func (f *fakeRuntime) endLocked(c *fakeContainer, code int32, at time.Time) {
	c.status.State = cri.ContainerExited
	c.status.ExitCode = code
	c.status.FinishedAt = at
	c.status.Reason = cri.ReasonError
	if code == 0 {
		c.status.Reason = cri.ReasonCompleted
	}
}

func (f *fakeRuntime) advanceLocked(c *fakeContainer) {
	if c.status.State == cri.ContainerRunning && c.script.exits {
		if end := c.status.StartedAt.Add(c.script.exitAfter); !f.clock.Now().Before(end) {
			f.endLocked(c, c.script.code, end)
		}
	}
}

func (f *fakeRuntime) id(prefix string) string {
	f.seq++
	return prefix + strconv.Itoa(f.seq)
}

func (f *fakeRuntime) Version(context.Context) (cri.VersionInfo, error) {
	return cri.VersionInfo{RuntimeName: "fake", RuntimeVersion: "1"}, nil
}

func (f *fakeRuntime) RunPodSandbox(_ context.Context, cfg *cri.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id("sb")
	f.sandboxes[id] = &cri.PodSandbox{
		ID: id, Metadata: cfg.Metadata, State: cri.SandboxReady, CreatedAt: f.clock.Now(), IP: "127.0.0.1",
		Labels: maps.Clone(cfg.Labels), Annotations: maps.Clone(cfg.Annotations),
	}
	f.log = append(f.log, "sandbox "+cfg.CgroupParent)
	return id, nil
}

func (f *fakeRuntime) StopPodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.sandboxes[id]
	if !ok {
		return nil
	}
	for _, c := range f.containers {
		f.advanceLocked(c)
		if c.status.PodSandboxID == id && c.status.State != cri.ContainerExited {
			f.endLocked(c, 137, f.clock.Now())
		}
	}
	sb.State = cri.SandboxNotReady
	f.log = append(f.log, "stopsandbox")
	return nil
}

func (f *fakeRuntime) RemovePodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cid, c := range f.containers {
		if c.status.PodSandboxID == id {
			delete(f.containers, cid)
		}
	}
	delete(f.sandboxes, id)
	f.log = append(f.log, "removesandbox")
	return nil
}

func (f *fakeRuntime) PodSandboxStatus(_ context.Context, id string) (*cri.PodSandbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.sandboxes[id]
	if !ok {
		return nil, cri.ErrNotFound
	}
	out := *sb
	return &out, nil
}

func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeRuntime) ListPodSandbox(_ context.Context, filter *cri.SandboxFilter) ([]*cri.PodSandbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*cri.PodSandbox
	for _, sb := range f.sandboxes {
		if filter != nil && !matches(filter.LabelSelector, sb.Labels) {
			continue
		}
		c := *sb
		out = append(out, &c)
	}
	return out, nil
}

func (f *fakeRuntime) CreateContainer(_ context.Context, sandboxID string, cfg *cri.ContainerConfig, sbCfg *cri.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := cfg.Metadata.Name
	var r run
	if s := f.scripts[name]; len(s) > 0 {
		r = s[0]
		if len(s) > 1 {
			f.scripts[name] = s[1:]
		}
	}
	if r.createErr != nil {
		return "", r.createErr
	}
	if _, ok := f.sandboxes[sandboxID]; !ok {
		return "", cri.ErrNotFound
	}
	id := f.id("c")
	f.containers[id] = &fakeContainer{script: r, status: cri.ContainerStatus{
		ID: id, PodSandboxID: sandboxID, Metadata: cfg.Metadata, Image: cfg.Image, State: cri.ContainerCreated,
		CreatedAt: f.clock.Now(), LogPath: filepath.Join(sbCfg.LogDirectory, cfg.LogPath), Labels: maps.Clone(cfg.Labels),
		Annotations: map[string]string{"env": envString(cfg.Env), "command": strings.Join(append(cfg.Command, cfg.Args...), " ")},
	}}
	return id, nil
}

func envString(env []cri.KeyValue) string {
	var parts []string
	for _, kv := range env {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, "\n")
}

func (f *fakeRuntime) StartContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return cri.ErrNotFound
	}
	c.status.State = cri.ContainerRunning
	c.status.StartedAt = f.clock.Now()
	name := c.status.Metadata.Name
	f.starts[name] = append(f.starts[name], c.status.StartedAt)
	f.log = append(f.log, "start "+name)
	return nil
}

func (f *fakeRuntime) StopContainer(_ context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return cri.ErrNotFound
	}
	f.advanceLocked(c)
	f.log = append(f.log, fmt.Sprintf("stop %s %s", c.status.Metadata.Name, timeout))
	if c.status.State != cri.ContainerExited {
		f.endLocked(c, 137, f.clock.Now())
	}
	return nil
}

func (f *fakeRuntime) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	return nil
}

func (f *fakeRuntime) ListContainers(_ context.Context, filter *cri.ContainerFilter) ([]*cri.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*cri.Container
	for _, c := range f.containers {
		f.advanceLocked(c)
		if filter != nil && !matches(filter.LabelSelector, c.status.Labels) {
			continue
		}
		out = append(out, &cri.Container{
			ID: c.status.ID, PodSandboxID: c.status.PodSandboxID, Metadata: c.status.Metadata, Image: c.status.Image,
			State: c.status.State, CreatedAt: c.status.CreatedAt, Labels: maps.Clone(c.status.Labels),
		})
	}
	return out, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, id string) (*cri.ContainerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return nil, cri.ErrNotFound
	}
	f.advanceLocked(c)
	out := c.status
	out.Labels = maps.Clone(c.status.Labels)
	out.Annotations = maps.Clone(c.status.Annotations)
	return &out, nil
}

func (f *fakeRuntime) ExecSync(_ context.Context, id string, cmd []string, _ time.Duration) (*cri.ExecResult, error) {
	f.mu.Lock()
	c, ok := f.containers[id]
	if !ok {
		f.mu.Unlock()
		return nil, cri.ErrNotFound
	}
	name := c.status.Metadata.Name
	fn := f.execs[name]
	f.log = append(f.log, "exec "+name+" "+strings.Join(cmd, " "))
	f.mu.Unlock()
	if fn == nil {
		return &cri.ExecResult{}, nil
	}
	return fn(cmd)
}

func (f *fakeRuntime) ReopenContainerLog(context.Context, string) error { return nil }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
