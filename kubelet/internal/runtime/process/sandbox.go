package process

import (
	"context"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// RunPodSandbox implements cri.Runtime: it makes the pod's cgroup (with the pod-level limits)
// and log directory and records the sandbox.
func (r *Runtime) RunPodSandbox(_ context.Context, config *cri.PodSandboxConfig) (string, error) {
	if config == nil || config.Metadata.UID == "" {
		return "", fmt.Errorf("run pod sandbox: metadata.uid is required")
	}
	id, err := newID()
	if err != nil {
		return "", err
	}
	parent := config.CgroupParent
	if parent == "" {
		parent = "kubepods/pod" + config.Metadata.UID
	}
	s := &sandboxRecord{
		ID:           id,
		Metadata:     config.Metadata,
		State:        cri.SandboxReady,
		CreatedAt:    time.Now(),
		IP:           r.opts.PodIP,
		Hostname:     config.Hostname,
		LogDirectory: config.LogDirectory,
		Cgroup:       path.Join(r.opts.CgroupPrefix, parent),
		Labels:       config.Labels,
		Annotations:  config.Annotations,
	}
	if s.LogDirectory == "" {
		s.LogDirectory = r.sandboxDir(id) + "/logs"
	}
	mu := r.podLock(s.Cgroup)
	mu.Lock()
	defer mu.Unlock()
	if err := r.cgroups.Create(s.Cgroup, toResources(config.Resources)); err != nil {
		return "", fmt.Errorf("run pod sandbox %s: %w", config.Metadata.Name, err)
	}
	if err := os.MkdirAll(s.LogDirectory, 0o755); err != nil {
		return "", fmt.Errorf("run pod sandbox %s: %w", config.Metadata.Name, err)
	}
	if err := os.MkdirAll(r.sandboxDir(id), 0o750); err != nil {
		return "", fmt.Errorf("run pod sandbox %s: %w", config.Metadata.Name, err)
	}
	if err := writeJSON(r.sandboxDir(id)+"/"+sandboxFile, s); err != nil {
		_ = os.RemoveAll(r.sandboxDir(id))
		_ = r.cgroups.Remove(context.Background(), s.Cgroup)
		return "", fmt.Errorf("run pod sandbox %s: %w", config.Metadata.Name, err)
	}
	return id, nil
}

// StopPodSandbox implements cri.Runtime: it kills the sandbox's running containers, waits for
// their monitors to record the exits, and marks the sandbox NotReady.
func (r *Runtime) StopPodSandbox(ctx context.Context, podSandboxID string) error {
	if err := r.markNotReady(podSandboxID); err != nil {
		return err
	}
	ctrs, err := r.ListContainers(ctx, &cri.ContainerFilter{PodSandboxID: podSandboxID})
	if err != nil {
		return err
	}
	for _, c := range ctrs {
		if err := r.StopContainer(ctx, c.ID, 0); err != nil {
			return fmt.Errorf("stop pod sandbox %s: %w", podSandboxID, err)
		}
	}
	return nil
}

// markNotReady records the sandbox as NotReady first, so that no container is created in it
// while its containers are being stopped.
func (r *Runtime) markNotReady(podSandboxID string) error {
	s, err := r.loadSandbox(podSandboxID)
	if err != nil || s.State == cri.SandboxNotReady {
		return err
	}
	mu := r.podLock(s.Cgroup)
	mu.Lock()
	defer mu.Unlock()
	s, err = r.loadSandbox(podSandboxID)
	if err != nil || s.State == cri.SandboxNotReady {
		return err
	}
	s.State = cri.SandboxNotReady
	return writeJSON(r.sandboxDir(podSandboxID)+"/"+sandboxFile, s)
}

// RemovePodSandbox implements cri.Runtime: it stops the sandbox if needed, removes its
// containers, its cgroup tree (killing anything left in it) and its state. Log files stay.
func (r *Runtime) RemovePodSandbox(ctx context.Context, podSandboxID string) error {
	s, err := r.loadSandbox(podSandboxID)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return err
	}
	if err := r.StopPodSandbox(ctx, podSandboxID); err != nil {
		return err
	}
	ctrs, err := r.ListContainers(ctx, &cri.ContainerFilter{PodSandboxID: podSandboxID})
	if err != nil {
		return err
	}
	for _, c := range ctrs {
		if err := r.RemoveContainer(ctx, c.ID); err != nil {
			return fmt.Errorf("remove pod sandbox %s: %w", podSandboxID, err)
		}
	}
	mu := r.podLock(s.Cgroup)
	mu.Lock()
	defer mu.Unlock()
	if err := r.cgroups.Remove(ctx, s.Cgroup); err != nil {
		return fmt.Errorf("remove pod sandbox %s: %w", podSandboxID, err)
	}
	if err := os.RemoveAll(r.sandboxDir(podSandboxID)); err != nil {
		return fmt.Errorf("remove pod sandbox %s: %w", podSandboxID, err)
	}
	r.forget(podSandboxID)
	return nil
}

// PodSandboxStatus implements cri.Runtime.
func (r *Runtime) PodSandboxStatus(_ context.Context, podSandboxID string) (*cri.PodSandbox, error) {
	s, err := r.loadSandbox(podSandboxID)
	if err != nil {
		return nil, err
	}
	return s.toCRI(), nil
}

// ListPodSandbox implements cri.Runtime.
func (r *Runtime) ListPodSandbox(_ context.Context, filter *cri.SandboxFilter) ([]*cri.PodSandbox, error) {
	ids, err := r.ids(sandboxesDir, &r.sandboxIDs, filter == nil)
	if err != nil {
		return nil, err
	}
	if filter != nil {
		ids = r.sandboxCandidates(ids, filter)
	}
	var out []*cri.PodSandbox
	for _, id := range ids {
		s, err := r.loadSandbox(id)
		if err != nil {
			if isNotFound(err) {
				continue // removed meanwhile, or not yet written
			}
			return nil, err
		}
		if filter != nil && (filter.State != nil && *filter.State != s.State || !matchLabels(s.Labels, filter.LabelSelector)) {
			continue
		}
		out = append(out, s.toCRI())
	}
	return out, nil
}

func (s *sandboxRecord) toCRI() *cri.PodSandbox {
	return &cri.PodSandbox{
		ID: s.ID, Metadata: s.Metadata, State: s.State, CreatedAt: s.CreatedAt, IP: s.IP,
		Labels: s.Labels, Annotations: s.Annotations,
	}
}
