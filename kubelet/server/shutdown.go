package server

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/pods"
	"github.com/keelson-dev/keelson/kubelet/internal/shutdown"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// evictingWorkers is what a node shutdown needs of the pod workers; the kubelet's own have it.
type evictingWorkers interface {
	Pods() []*corev1.Pod
	Evict(ctx context.Context, uid string, ev pods.Eviction) error
	StopAdmitting(reason, message string)
}

// shutdownPods adapts the pod workers to the node shutdown.
type shutdownPods struct{ w evictingWorkers }

func (p shutdownPods) Pods() []*corev1.Pod { return p.w.Pods() }

func (p shutdownPods) KillPod(ctx context.Context, pod *corev1.Pod, grace time.Duration) error {
	err := p.w.Evict(ctx, pod.GetMetadata().GetUid(), pods.Eviction{Grace: grace, Reason: shutdown.PodReason, Message: shutdown.PodMessage})
	if errors.Is(err, pods.ErrPodNotRunning) {
		return nil // refused or already gone: nothing runs
	}
	return err
}

func (p shutdownPods) StopAdmitting() { p.w.StopAdmitting(shutdown.PodReason, shutdown.RejectMessage) }

// noPods stands for pod workers that cannot evict (a test's own): the shutdown only marks the node.
type noPods struct{}

func (noPods) Pods() []*corev1.Pod                                       { return nil }
func (noPods) KillPod(context.Context, *corev1.Pod, time.Duration) error { return nil }
func (noPods) StopAdmitting()                                            {}

// Shutdown shuts the node down as SIGTERM does: with --shutdown-grace-period set, the node is
// marked not ready and its pods are terminated (see package shutdown) before Run stops every loop
// and returns; without it, Run just stops, leaving the pods running. Shutdown returns once Run has
// returned, or when ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { close(s.shutdownReq) })
	select {
	case <-s.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitShutdown waits for the end of ctx (a signal) or a Shutdown call, carries out the node
// shutdown when it is enabled, then calls stop to end every loop of Run. It returns early,
// doing nothing, when a loop failed (loops ends).
func (s *Server) awaitShutdown(ctx, loops context.Context, stop context.CancelFunc) error {
	defer stop()
	select {
	case <-loops.Done():
		return nil
	case <-ctx.Done():
	case <-s.shutdownReq:
	}
	cfg := s.cfg.shutdownConfig()
	if !cfg.Enabled() || s.cfg.HollowNodes > 0 {
		return nil
	}
	s.mu.Lock()
	a := s.agents[s.nodeName]
	s.mu.Unlock()
	if a == nil {
		return nil
	}
	var p shutdown.Pods = noPods{}
	if w, ok := s.workers.(evictingWorkers); ok {
		p = shutdownPods{w: w}
	}
	cfg.Clock, cfg.Logger = s.clock, s.lg.Named("shutdown")
	// The periods bound the pods; the margin lets the last statuses reach the API server.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.GracePeriod+s.cfg.ShutdownTimeout)
	defer cancel()
	if err := shutdown.New(cfg, p, a).Shutdown(sctx); err != nil {
		s.lg.Warn("node shutdown incomplete", zap.Error(err))
	}
	return nil
}
