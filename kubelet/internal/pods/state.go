package pods

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// podState is what the runtime holds for one pod, read back at the start of every sync.
type podState struct {
	// sandboxes, newest first.
	sandboxes []*cri.PodSandbox
	// containers by container name, newest run (highest attempt) first.
	containers map[string][]*cri.ContainerStatus
}

// readySandbox returns the newest sandbox if it is ready.
func (s *podState) readySandbox() *cri.PodSandbox {
	if s == nil || len(s.sandboxes) == 0 || s.sandboxes[0].State != cri.SandboxReady {
		return nil
	}
	return s.sandboxes[0]
}

// latest returns the newest run of the named container, nil if it never ran.
func (s *podState) latest(name string) *cri.ContainerStatus {
	if s == nil || len(s.containers[name]) == 0 {
		return nil
	}
	return s.containers[name][0]
}

// active returns every container that runs or was created and not started.
func (s *podState) active() []*cri.ContainerStatus {
	var out []*cri.ContainerStatus
	for _, runs := range s.containers {
		for _, c := range runs {
			if c.State == cri.ContainerRunning || c.State == cri.ContainerCreated {
				out = append(out, c)
			}
		}
	}
	return out
}

// observe reads the pod's sandboxes and containers from the runtime. Exited containers never
// change, so their statuses are taken from (and stored in) the worker's cache.
func (w *worker) observe(ctx context.Context) (*podState, error) {
	sel := map[string]string{cri.LabelPodUID: w.uid}
	sandboxes, err := w.m.rt.ListPodSandbox(ctx, &cri.SandboxFilter{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list sandboxes of pod %s: %w", w.uid, err)
	}
	containers, err := w.m.rt.ListContainers(ctx, &cri.ContainerFilter{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("list containers of pod %s: %w", w.uid, err)
	}
	slices.SortFunc(sandboxes, func(a, b *cri.PodSandbox) int {
		return cmp.Or(-cmp.Compare(a.Metadata.Attempt, b.Metadata.Attempt), b.CreatedAt.Compare(a.CreatedAt))
	})
	st := &podState{sandboxes: sandboxes, containers: map[string][]*cri.ContainerStatus{}}
	seen := make(map[string]bool, len(containers))
	for _, c := range containers {
		seen[c.ID] = true
		cs, ok := w.exited[c.ID]
		if !ok {
			cs, err = w.m.rt.ContainerStatus(ctx, c.ID)
			if errors.Is(err, cri.ErrNotFound) {
				continue // removed since the list
			}
			if err != nil {
				return nil, fmt.Errorf("status of container %s: %w", c.ID, err)
			}
			if cs.State == cri.ContainerExited {
				w.exited[c.ID] = cs
			}
		}
		name := cs.Metadata.Name
		if name == "" {
			name = cs.Labels[cri.LabelContainer]
		}
		st.containers[name] = append(st.containers[name], cs)
	}
	for id := range w.exited {
		if !seen[id] {
			delete(w.exited, id)
		}
	}
	for _, runs := range st.containers {
		slices.SortFunc(runs, func(a, b *cri.ContainerStatus) int {
			return cmp.Or(-cmp.Compare(a.Metadata.Attempt, b.Metadata.Attempt), b.CreatedAt.Compare(a.CreatedAt))
		})
	}
	return st, nil
}
