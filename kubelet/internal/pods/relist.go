package pods

import (
	"context"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// relistLoop lists the runtime every RelistPeriod and wakes the worker of every pod whose
// sandboxes or containers changed state since the previous list (PLEG, Kubernetes calls it). It
// also hands sandboxes of pods no source wants to orphan workers that remove them.
func (m *Manager) relistLoop(ctx context.Context) {
	t := m.clock.NewTicker(m.cfg.RelistPeriod)
	defer t.Stop()
	var last map[string]string // object ID -> "<pod uid>/<state>"
	for {
		if next, err := m.relist(ctx, last); err != nil {
			if ctx.Err() == nil {
				m.log.Warn("relist runtime", zap.Error(err))
			}
		} else {
			last = next
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// relist lists the runtime once, wakes the workers of pods that changed against last and returns
// the new picture.
func (m *Manager) relist(ctx context.Context, last map[string]string) (map[string]string, error) {
	start := m.clock.Now()
	sandboxes, err := m.rt.ListPodSandbox(ctx, nil)
	if err != nil {
		return nil, err
	}
	containers, err := m.rt.ListContainers(ctx, nil)
	if err != nil {
		return nil, err
	}
	m.metrics.relistDuration.Observe(m.clock.Since(start).Seconds())

	next := make(map[string]string, len(sandboxes)+len(containers))
	changed := map[string]bool{}
	note := func(id, uid, state string) {
		v := uid + "/" + state
		next[id] = v
		if last != nil && last[id] != v {
			changed[uid] = true
		}
	}
	runningPods := 0
	for _, sb := range sandboxes {
		state := "ready"
		if sb.State != cri.SandboxReady {
			state = "notready"
		} else {
			runningPods++
		}
		note(sb.ID, sb.Labels[cri.LabelPodUID], state)
	}
	running := 0
	for _, c := range containers {
		if c.State == cri.ContainerRunning {
			running++
		}
		note(c.ID, c.Labels[cri.LabelPodUID], c.State.String())
	}
	for id, v := range last {
		if _, ok := next[id]; !ok {
			changed[uidOf(v)] = true
		}
	}
	m.metrics.runningPods.Set(float64(runningPods))
	m.metrics.runningContainers.Set(float64(running))

	m.mu.Lock()
	for _, sb := range sandboxes {
		m.adoptOrphanLocked(sb)
	}
	m.mu.Unlock()
	for uid := range changed {
		m.wake(uid)
	}
	return next, nil
}

func uidOf(v string) string {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == '/' {
			return v[:i]
		}
	}
	return v
}
