package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
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
	// DefaultAggregationWindow is how long after an event's last occurrence a repeat still bumps
	// its count, as Kubernetes' event correlator aggregates over ten minutes.
	DefaultAggregationWindow = 10 * time.Minute
	// Writes are paced as a component's API client paces them, 50 a second in bursts of up to
	// 100: events are best effort and must not take the API server from real work in a burst.
	writeBurst    = 100
	writeInterval = time.Second / 50
)

// Config configures a Recorder.
type Config struct {
	Sink Sink
	// Component names the daemon in the events' source and reportingComponent
	// ("default-scheduler", "kubelet").
	Component string
	// Host fills the events' source.host: the node of a node agent, the host and process of a
	// replicated daemon.
	Host string
	// Instance fills reportingInstance; it defaults to Host.
	Instance string
	// Scheme names the kind and apiVersion of the objects events are about (default: the
	// built-in kinds).
	Scheme *scheme.Scheme
	// AggregationWindow is how long after an event's last occurrence a repeat bumps its count
	// rather than creating another Event (default DefaultAggregationWindow).
	AggregationWindow time.Duration
	Clock             clock.Clock
	Logger            *zap.Logger
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
	if cfg.Instance == "" {
		cfg.Instance = cfg.Host
	}
	if cfg.Scheme == nil {
		cfg.Scheme = scheme.Builtin()
	}
	if cfg.AggregationWindow <= 0 {
		cfg.AggregationWindow = DefaultAggregationWindow
	}
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

// Eventf records an event about obj, an object of a kind the recorder's scheme knows. It never
// blocks: when the buffer is full or the object's spam budget is spent, the event is dropped.
// Events about cluster-scoped objects go to the "default" namespace, as in Kubernetes.
func (r *Recorder) Eventf(obj scheme.Object, eventType, reason, format string, args ...any) {
	kind, ok := r.cfg.Scheme.ForObject(obj)
	if !ok {
		r.cfg.Logger.Warn("dropping an event about an object of unknown kind", zap.String("reason", reason),
			zap.String("type", string(obj.ProtoReflect().Descriptor().FullName())))
		r.drop()
		return
	}
	m := obj.GetMetadata()
	if !r.spam.allow(kind.Kind + "/" + m.GetNamespace() + "/" + m.GetName() + "/" + m.GetUid()) {
		r.drop()
		return
	}
	ns := m.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	now := timestamppb.New(r.cfg.Clock.Now())
	ev := &corev1.Event{
		Metadata: &metav1.ObjectMeta{Namespace: ns},
		InvolvedObject: &corev1.ObjectReference{
			Kind: kind.Kind, ApiVersion: kind.APIVersion(), Namespace: m.GetNamespace(), Name: m.GetName(),
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
		ReportingInstance:  r.cfg.Instance,
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

// write creates ev or, when it repeats an event written within the aggregation window, bumps
// that event's count and last timestamp.
func (r *Recorder) write(ctx context.Context, ev *corev1.Event) error {
	key := aggregateKey(ev)
	last := ev.GetLastTimestamp().AsTime()
	if prev, ok := r.seen.get(key); ok && last.Sub(prev.last) <= r.cfg.AggregationWindow {
		count := prev.count + 1
		patch, err := json.Marshal(struct {
			Count         int32  `json:"count"`
			LastTimestamp string `json:"lastTimestamp"`
		}{count, last.UTC().Format(time.RFC3339Nano)})
		if err != nil {
			return fmt.Errorf("encode the patch of event %s: %w", prev.name, err)
		}
		_, err = r.cfg.Sink.Patch(ctx, prev.namespace, prev.name, patch)
		if err == nil {
			prev.count, prev.last = count, last
			r.seen.put(key, prev)
			return nil
		}
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("patch event %s/%s: %w", prev.namespace, prev.name, err)
		}
		// The event expired from the API: start a new one.
	}
	r.seq++
	ev.Metadata.Name = fmt.Sprintf("%s.%x-%d", ev.GetInvolvedObject().GetName(), ev.GetFirstTimestamp().AsTime().UnixNano(), r.seq)
	if _, err := r.cfg.Sink.Create(ctx, ev); err != nil {
		return fmt.Errorf("create event %s: %w", ev.GetMetadata().GetName(), err)
	}
	r.seen.put(key, written{namespace: ev.GetMetadata().GetNamespace(), name: ev.GetMetadata().GetName(), count: 1, last: last})
	return nil
}

// aggregateKey identifies events that repeat one another.
func aggregateKey(ev *corev1.Event) string {
	o := ev.GetInvolvedObject()
	return o.GetKind() + "\x00" + o.GetNamespace() + "\x00" + o.GetName() + "\x00" + o.GetUid() + "\x00" +
		ev.GetType() + "\x00" + ev.GetReason() + "\x00" + ev.GetMessage() + "\x00" + ev.GetSource().GetComponent()
}
