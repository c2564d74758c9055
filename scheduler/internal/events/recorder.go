package events

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Event types.
const (
	TypeNormal  = "Normal"
	TypeWarning = "Warning"
)

// Tuning, as client-go's defaults.
const (
	bufferSize    = 1000
	spamBurst     = 25
	spamRefill    = 5 * time.Minute
	aggregateKeep = 4096 // repeated events remembered for aggregation
	// Writes are paced as kube-scheduler's API client paces them, 50 a second in bursts of up to
	// 100: events are best effort and must not take the API server from bindings in a burst.
	writeBurst    = 100
	writeInterval = time.Second / 50
)

// Sink writes events; *ClientSink writes them through the API.
type Sink interface {
	Create(ctx context.Context, ev *corev1.Event) (*corev1.Event, error)
	Update(ctx context.Context, ev *corev1.Event) (*corev1.Event, error)
}

// ClientSink is a Sink over a Keelson client.
type ClientSink struct{ Client *client.Client }

// Create implements Sink.
func (s ClientSink) Create(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	return s.Client.Events(ev.GetMetadata().GetNamespace()).Create(ctx, ev)
}

// Update implements Sink.
func (s ClientSink) Update(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	return s.Client.Events(ev.GetMetadata().GetNamespace()).Update(ctx, ev)
}

// Config configures a Recorder.
type Config struct {
	Sink Sink
	// Component and Host fill the events' source (component "default-scheduler").
	Component string
	Host      string
	Clock     clock.Clock
	Logger    *zap.Logger
	// OnDrop, when set, is called for every event dropped.
	OnDrop func()
}

// Recorder records events. Eventf is safe for concurrent use; Run writes them.
type Recorder struct {
	cfg     Config
	pending chan *corev1.Event
	spam    *spamFilter
	pace    *pacer
	seen    *lru
	// seq numbers the events this recorder creates, so that names stay unique when the clock
	// gives two events the same time; only Run's goroutine uses it.
	seq uint64
}

// New returns a recorder; nothing is written until Run.
func New(cfg Config) *Recorder {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Recorder{
		cfg:     cfg,
		pending: make(chan *corev1.Event, bufferSize),
		spam:    newSpamFilter(cfg.Clock, spamBurst, spamRefill),
		pace:    newPacer(cfg.Clock, writeBurst, writeInterval),
		seen:    newLRU(aggregateKeep),
	}
}

// Eventf records an event about pod. It never blocks: when the buffer is full or the pod's spam
// budget is spent, the event is dropped.
func (r *Recorder) Eventf(pod *corev1.Pod, eventType, reason, format string, args ...any) {
	m := pod.GetMetadata()
	now := timestamppb.New(r.cfg.Clock.Now())
	ev := &corev1.Event{
		Metadata: &metav1.ObjectMeta{Namespace: m.GetNamespace()},
		InvolvedObject: &corev1.ObjectReference{
			Kind: "Pod", ApiVersion: "v1", Namespace: m.GetNamespace(), Name: m.GetName(),
			Uid: m.GetUid(), ResourceVersion: m.GetResourceVersion(),
		},
		Reason:             reason,
		Message:            fmt.Sprintf(format, args...),
		Type:               eventType,
		Source:             &corev1.EventSource{Component: r.cfg.Component, Host: r.cfg.Host},
		FirstTimestamp:     now,
		LastTimestamp:      now,
		Count:              1,
		ReportingComponent: r.cfg.Component,
		ReportingInstance:  r.cfg.Host,
	}
	if !r.spam.allow(m.GetNamespace() + "/" + m.GetName() + "/" + m.GetUid()) {
		r.drop()
		return
	}
	select {
	case r.pending <- ev:
	default:
		r.drop()
	}
}

func (r *Recorder) drop() {
	if r.cfg.OnDrop != nil {
		r.cfg.OnDrop()
	}
}

// Run writes recorded events, paced, until ctx ends; events still buffered then are dropped.
func (r *Recorder) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-r.pending:
			if r.pace.wait(ctx) != nil {
				return nil
			}
			if err := r.write(ctx, ev); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("writing event failed", zap.String("reason", ev.GetReason()),
					zap.String("object", ev.GetInvolvedObject().GetNamespace()+"/"+ev.GetInvolvedObject().GetName()), zap.Error(err))
			}
		}
	}
}

// write creates ev, or bumps the count of the event it repeats.
func (r *Recorder) write(ctx context.Context, ev *corev1.Event) error {
	key := aggregateKey(ev)
	if prev, ok := r.seen.get(key); ok {
		next := &corev1.Event{
			Metadata: prev.GetMetadata(), InvolvedObject: prev.GetInvolvedObject(), Reason: prev.GetReason(),
			Message: prev.GetMessage(), Source: prev.GetSource(), FirstTimestamp: prev.GetFirstTimestamp(),
			LastTimestamp: ev.GetLastTimestamp(), Count: prev.GetCount() + 1, Type: prev.GetType(),
			ReportingComponent: prev.GetReportingComponent(), ReportingInstance: prev.GetReportingInstance(),
		}
		updated, err := r.cfg.Sink.Update(ctx, next)
		if err == nil {
			r.seen.put(key, updated)
			return nil
		}
		if !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("update event %s: %w", prev.GetMetadata().GetName(), err)
		}
		// The event expired or changed under us: start a new one.
	}
	r.seq++
	ev.Metadata.Name = fmt.Sprintf("%s.%x-%d", ev.GetInvolvedObject().GetName(), ev.GetFirstTimestamp().AsTime().UnixNano(), r.seq)
	created, err := r.cfg.Sink.Create(ctx, ev)
	if err != nil {
		return fmt.Errorf("create event %s: %w", ev.GetMetadata().GetName(), err)
	}
	r.seen.put(key, created)
	return nil
}

// aggregateKey identifies events that repeat one another.
func aggregateKey(ev *corev1.Event) string {
	o := ev.GetInvolvedObject()
	return o.GetNamespace() + "\x00" + o.GetName() + "\x00" + o.GetUid() + "\x00" + ev.GetType() + "\x00" +
		ev.GetReason() + "\x00" + ev.GetMessage() + "\x00" + ev.GetSource().GetComponent()
}
