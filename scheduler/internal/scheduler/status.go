package scheduler

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// statusWorkers is how many pod statuses are written at once.
const statusWorkers = 2

// statusWriter keeps the PodScheduled=False condition of pending pods in line with their last
// failed attempt, as a level-based controller: set records what the condition should say and
// queues the pod's key, and the reconcile compares it with the pod as the informer last saw it and
// writes through UpdateStatus only what differs. A pod bound meanwhile is left alone.
type statusWriter struct {
	client *client.Client
	pods   informer.Lister[*corev1.Pod]
	clock  clock.Clock
	queue  *workqueue.RateLimitingQueue[string]
	ctrl   *controller.Controller

	mu   sync.Mutex
	want map[string]condition
}

// condition is what a pod's PodScheduled=False condition should say.
type condition struct {
	reason, message string
}

func newStatusWriter(c *client.Client, pods informer.Lister[*corev1.Pod], clk clock.Clock, lg *zap.Logger) *statusWriter {
	w := &statusWriter{
		client: c, pods: pods, clock: clk,
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)), workqueue.WithClock(clk)),
		want:  map[string]condition{},
	}
	w.ctrl = controller.New("pod-status", w.queue, w.sync, statusWorkers, controller.WithLogger(lg))
	return w
}

// set records that the pod with key failed its last attempt for reason, explained by message.
func (w *statusWriter) set(key, reason, message string) {
	w.mu.Lock()
	w.want[key] = condition{reason: reason, message: message}
	w.mu.Unlock()
	w.queue.Add(key)
}

// forget drops what set recorded for key, once the pod is bound.
func (w *statusWriter) forget(key string) {
	w.mu.Lock()
	delete(w.want, key)
	w.mu.Unlock()
}

// Run writes statuses until ctx ends, then shuts the queue down and waits for its workers.
func (w *statusWriter) Run(ctx context.Context) error { return w.ctrl.Run(ctx) }

// sync makes the pod's PodScheduled condition say what set recorded, if the pod still waits.
func (w *statusWriter) sync(ctx context.Context, key string) (controller.Result, error) {
	w.mu.Lock()
	want, ok := w.want[key]
	w.mu.Unlock()
	if !ok {
		return controller.Result{}, nil
	}
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		w.forget(key)
		return controller.Result{}, nil // no pod has such a key: nothing to retry
	}
	pod, found := w.pods.Get(ns, name)
	if !found || pod.GetSpec().GetNodeName() != "" || pod.GetMetadata().GetDeletionTimestamp() != nil {
		w.forget(key)
		return controller.Result{}, nil
	}
	for attempt := 0; ; attempt++ {
		updated, changed := withCondition(pod, want, w.clock)
		if !changed {
			return controller.Result{}, nil
		}
		_, err := w.client.Pods(ns).UpdateStatus(ctx, updated)
		if err == nil {
			return controller.Result{}, nil
		}
		if apierrors.IsNotFound(err) {
			w.forget(key)
			return controller.Result{}, nil
		}
		if !apierrors.IsConflict(err) || attempt > 0 {
			return controller.Result{}, fmt.Errorf("update status of pod %s: %w", key, err)
		}
		// The informer's copy is stale: read the pod as stored and try once more.
		if pod, err = w.client.Pods(ns).Get(ctx, name); err != nil {
			return controller.Result{}, fmt.Errorf("read pod %s: %w", key, err)
		}
		if pod.GetSpec().GetNodeName() != "" || pod.GetMetadata().GetDeletionTimestamp() != nil {
			w.forget(key)
			return controller.Result{}, nil
		}
	}
}

// withCondition returns a copy of pod whose PodScheduled condition is False with want's reason and
// message, and whether that changed anything.
func withCondition(pod *corev1.Pod, want condition, clk clock.Clock) (*corev1.Pod, bool) {
	now := timestamppb.New(clk.Now())
	cond := &corev1.PodCondition{Type: "PodScheduled", Status: "False", Reason: want.reason, Message: want.message,
		LastProbeTime: now, LastTransitionTime: now}
	out := pod.CloneVT()
	if out.Status == nil {
		out.Status = &corev1.PodStatus{}
	}
	for i, c := range out.Status.Conditions {
		if c.GetType() != "PodScheduled" {
			continue
		}
		if c.GetStatus() == "False" && c.GetReason() == want.reason && c.GetMessage() == want.message {
			return nil, false
		}
		if c.GetStatus() == cond.Status {
			cond.LastTransitionTime = c.GetLastTransitionTime()
		}
		out.Status.Conditions[i] = cond
		return out, true
	}
	out.Status.Conditions = append(out.Status.Conditions, cond)
	return out, true
}
