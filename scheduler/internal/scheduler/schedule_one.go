package scheduler

import (
	"context"
	"errors"
	"fmt"

	"github.com/keelson-dev/keelson/scheduler/internal/core"
	"github.com/keelson-dev/keelson/scheduler/internal/metrics"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
	"github.com/keelson-dev/keelson/scheduler/internal/queue"
	"go.uber.org/zap"
)

// Reasons written on the PodScheduled condition and events.
const (
	ReasonFailedScheduling = "FailedScheduling"
	ReasonScheduled        = "Scheduled"
	ReasonUnschedulable    = "Unschedulable"
	ReasonSchedulerError   = "SchedulerError"
)

// scheduleOne runs one scheduling cycle for p: it decides, assumes and hands the binding over,
// or records why p cannot be placed.
func (s *Scheduler) scheduleOne(ctx context.Context, p *queue.QueuedPodInfo, cycle int64) {
	pod := p.Pod
	if pod.GetMetadata().GetDeletionTimestamp() != nil || s.cache.IsAssumed(p.Key) {
		s.queue.Done(p.Key)
		return
	}
	start := s.cfg.Clock.Now()
	pi, err := nodeinfo.NewPodInfo(pod)
	if err != nil {
		s.unschedulable(p, cycle, &core.FitError{Pod: pod, NumAllNodes: s.cache.NumNodes(),
			PodReason: fmt.Sprintf("the pod's spec does not parse: %v", err)})
		return
	}
	s.cache.UpdateSnapshot(s.snapshot)
	res, err := s.algo.Schedule(ctx, pi, s.snapshot)
	s.cfg.Metrics.AlgorithmLatency.Observe(s.cfg.Clock.Since(start).Seconds())
	if err != nil {
		var fe *core.FitError
		switch {
		case errors.As(err, &fe):
			s.unschedulable(p, cycle, fe)
		case ctx.Err() != nil:
			s.queue.Done(p.Key)
		default:
			s.failed(p, fmt.Errorf("schedule pod %s: %w", p.Key, err))
		}
		return
	}
	if err := s.cache.AssumePod(pi, res.Node); err != nil {
		s.failed(p, err)
		return
	}
	s.lg.Debug("pod assumed", zap.String("pod", p.Key), zap.String("node", res.Node),
		zap.Int("evaluated", res.EvaluatedNodes), zap.Int("feasible", res.FeasibleNodes))
	select {
	case s.bindSlots <- struct{}{}:
	case <-ctx.Done():
		s.cache.ForgetPod(p.Key)
		s.queue.Done(p.Key)
		return
	}
	s.binds.Add(1)
	go func() {
		defer s.binds.Done()
		defer func() { <-s.bindSlots }()
		s.bind(ctx, p, res.Node)
	}()
}

// unschedulable records that p fits no node: the pod waits in the unschedulable set, and gets an
// event and a PodScheduled=False condition that say why.
func (s *Scheduler) unschedulable(p *queue.QueuedPodInfo, cycle int64, fe *core.FitError) {
	defer s.queue.Done(p.Key)
	s.cfg.Metrics.Attempts.WithLabelValues(metrics.ResultUnschedulable).Inc()
	msg := fe.Error()
	s.lg.Debug("pod is unschedulable", zap.String("pod", p.Key), zap.String("why", msg))
	s.queue.AddUnschedulable(p, cycle)
	s.recorder.Eventf(p.Pod, "Warning", ReasonFailedScheduling, "%s", msg)
	s.status.set(p.Key, ReasonUnschedulable, msg)
}

// failed records an attempt that failed for a reason other than fit: the pod is retried after
// its backoff.
func (s *Scheduler) failed(p *queue.QueuedPodInfo, err error) {
	defer s.queue.Done(p.Key)
	s.cfg.Metrics.Attempts.WithLabelValues(metrics.ResultError).Inc()
	s.lg.Warn("scheduling attempt failed", zap.String("pod", p.Key), zap.Error(err))
	s.queue.AddBackoff(p)
	s.recorder.Eventf(p.Pod, "Warning", ReasonFailedScheduling, "%v", err)
	s.status.set(p.Key, ReasonSchedulerError, err.Error())
}
