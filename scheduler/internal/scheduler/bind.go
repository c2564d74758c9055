package scheduler

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"

	"github.com/keelson-dev/keelson/scheduler/internal/metrics"
	"github.com/keelson-dev/keelson/scheduler/internal/queue"
)

// bind writes p's binding to node. On success the assumption waits for the informer's
// confirmation, and a Scheduled event says where the pod went; on failure it is forgotten, and the pod is requeued unless the failure shows it
// needs no more scheduling (it is bound already, being deleted, or gone).
func (s *Scheduler) bind(ctx context.Context, p *queue.QueuedPodInfo, node string) {
	defer s.queue.Done(p.Key)
	start := s.cfg.Clock.Now()
	m := p.Pod.GetMetadata()
	err := s.cfg.Bind(ctx, m.GetNamespace(), m.GetName(), node)
	s.cfg.Metrics.BindingLatency.Observe(s.cfg.Clock.Since(start).Seconds())
	if err == nil {
		s.cache.FinishBinding(p.Key)
		s.status.forget(p.Key)
		s.cfg.Metrics.Attempts.WithLabelValues(metrics.ResultScheduled).Inc()
		s.cfg.Metrics.E2ELatency.Observe(s.cfg.Clock.Since(p.InitialTimestamp).Seconds())
		// As kube-scheduler, for `kubectl describe pod`. Under a burst the recorder drops what its
		// buffer cannot hold rather than slow scheduling down.
		s.recorder.Eventf(p.Pod, "Normal", ReasonScheduled, "Successfully assigned %s/%s to %s", m.GetNamespace(), m.GetName(), node)
		return
	}
	s.cache.ForgetPod(p.Key)
	if ctx.Err() != nil {
		return // shutting down; the next leader schedules the pod
	}
	s.cfg.Metrics.Attempts.WithLabelValues(metrics.ResultError).Inc()
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		// The informer will show the pod bound elsewhere, being deleted or gone.
		s.lg.Info("binding refused; leaving the pod to its current state", zap.String("pod", p.Key), zap.String("node", node), zap.Error(err))
		return
	}
	err = fmt.Errorf("bind pod %s to node %s: %w", p.Key, node, err)
	s.lg.Warn("binding failed; retrying after backoff", zap.Error(err))
	s.queue.AddBackoff(p)
	// The forgotten assumption freed room that pods waiting for some may use.
	s.queue.MoveAllToActive()
	s.recorder.Eventf(p.Pod, "Warning", ReasonFailedScheduling, "%v", err)
}
