package job

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Kubernetes' pod-failure backoff: the delay before a Job replaces a failed pod starts at
// DefaultBackoff and doubles with every consecutive failure up to DefaultMaxBackoff.
const (
	DefaultBackoff    = 10 * time.Second
	DefaultMaxBackoff = 6 * time.Minute
)

// Recorder records events about Jobs; *events.Recorder is one.
type Recorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Options tune a Controller; the zero value is Kubernetes' behaviour.
type Options struct {
	// Backoff and MaxBackoff override DefaultBackoff and DefaultMaxBackoff when positive.
	Backoff, MaxBackoff time.Duration
}

// Controller runs Jobs. Build it with New, before the informer factory starts; Run it once.
type Controller struct {
	client       *client.Client
	jobs         *informer.Informer[*batchv1.Job]
	pods         *informer.Informer[*corev1.Pod]
	queue        workqueue.RateLimitingInterface[string]
	expectations *controller.Expectations
	removals     removals
	recorder     Recorder
	clock        clock.Clock
	lg           *zap.Logger
	backoff      time.Duration
	maxBackoff   time.Duration
	loop         *controller.Controller
}

// New builds a Job controller and adds its handlers to the Job and pod informers of f. It starts
// nothing. clk times startTime, deadlines, backoff, TTLs and requeues (the real clock when nil).
func New(c *client.Client, f *informer.Factory, rec Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	ctl := &Controller{
		client:       c,
		jobs:         informer.For[*batchv1.Job](f),
		pods:         informer.For[*corev1.Pod](f),
		queue:        workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)), workqueue.WithClock(clk)),
		expectations: controller.NewExpectations(clk, 0),
		recorder:     rec,
		clock:        clk,
		lg:           lg,
		backoff:      opts.Backoff,
		maxBackoff:   opts.MaxBackoff,
	}
	ctl.jobs.AddHandler(controller.Enqueue[*batchv1.Job](ctl.queue))
	ctl.pods.AddHandler(ctl.podHandler())
	return ctl, nil
}

// Run reconciles Jobs with workers goroutines until ctx ends; see controller.Controller.Run for
// the shutdown. Call it once the informers have synced.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.loop = controller.New("job", c.queue, c.reconcile, workers, controller.WithLogger(c.lg))
	return c.loop.Run(ctx)
}

// updateStatus writes st unless the Job already says it, and returns the Job as stored. The
// write is guarded on the Job's resourceVersion: its counts are the only record of pods whose
// finalizer is gone, so a status computed from a stale Job must fail with Conflict (and be
// computed again) rather than overwrite newer counts.
func (c *Controller) updateStatus(ctx context.Context, job *batchv1.Job, st *batchv1.JobStatus) (*batchv1.Job, error) {
	if proto.Equal(job.GetStatus(), st) {
		return job, nil
	}
	j := job.CloneVT()
	j.Status = st.CloneVT()
	updated, err := c.client.Jobs(job.GetMetadata().GetNamespace()).UpdateStatus(ctx, j)
	if apierrors.IsNotFound(err) {
		return job, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update status of job %s: %w", scheme.Key(job), err)
	}
	return updated, nil
}
