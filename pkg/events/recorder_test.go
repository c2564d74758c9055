package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// pod returns a pod in the default namespace, as the API would store it.
func pod(name string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Namespace: "default", Name: name, Uid: "uid-" + name, ResourceVersion: "7"}}
}

// memSink stores events in memory, as the API would.
type memSink struct {
	mu      sync.Mutex
	events  map[string]*corev1.Event
	creates int
	patches int
	written chan struct{}
}

func newMemSink() *memSink {
	return &memSink{events: map[string]*corev1.Event{}, written: make(chan struct{}, 1000)}
}

func (s *memSink) Create(_ context.Context, ev *corev1.Event) (*corev1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.events[ev.GetMetadata().GetName()]; ok {
		return nil, apierrors.NewAlreadyExists("", "events", ev.GetMetadata().GetName())
	}
	s.events[ev.GetMetadata().GetName()] = ev
	s.creates++
	s.written <- struct{}{}
	return ev, nil
}

// Patch applies the merge patch the recorder sends, {"count": n, "lastTimestamp": t}, and
// rejects any other.
func (s *memSink) Patch(_ context.Context, namespace, name string, patch []byte) (*corev1.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, ok := s.events[name]
	if !ok || prev.GetMetadata().GetNamespace() != namespace {
		return nil, apierrors.NewNotFound("", "events", name)
	}
	var p struct {
		Count         *int32     `json:"count"`
		LastTimestamp *time.Time `json:"lastTimestamp"`
	}
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.Count == nil || p.LastTimestamp == nil {
		return nil, apierrors.NewBadRequest("unexpected patch %s: %v", patch, err)
	}
	next := proto.CloneOf(prev)
	next.Count, next.LastTimestamp = *p.Count, timestamppb.New(*p.LastTimestamp)
	s.events[name] = next
	s.patches++
	s.written <- struct{}{}
	return next, nil
}

// expire deletes every event, as the API server's event TTL does.
func (s *memSink) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.events)
}

func (s *memSink) list() []*corev1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*corev1.Event
	for _, ev := range s.events {
		out = append(out, ev)
	}
	return out
}

func run(t *testing.T, r *events.Recorder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

func waitWrites(t *testing.T, s *memSink, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-s.written:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d writes happened", i, n)
		}
	}
}

func TestEventsAreWrittenAndAggregated(t *testing.T) {
	sink := newMemSink()
	clk := clock.NewFake(time.Unix(1000, 0))
	r := events.New(events.Config{Sink: sink, Component: "default-scheduler", Host: "host_1", Clock: clk, Logger: zaptest.NewLogger(t)})
	run(t, r)
	web := pod("web")

	r.Eventf(web, events.TypeWarning, "FailedScheduling", "0/%d nodes are available: %s", 1, "a: node is unschedulable")
	waitWrites(t, sink, 1)
	clk.Step(time.Second)
	r.Eventf(web, events.TypeWarning, "FailedScheduling", "0/1 nodes are available: a: node is unschedulable")
	waitWrites(t, sink, 1)
	r.Eventf(web, events.TypeWarning, "FailedScheduling", "0/2 nodes are available: something else")
	waitWrites(t, sink, 1)

	evs := sink.list()
	require.Len(t, evs, 2, "the repeat bumped the first event's count")
	require.Equal(t, 2, sink.creates)
	require.Equal(t, 1, sink.patches)
	for _, ev := range evs {
		require.Equal(t, "Pod", ev.GetInvolvedObject().GetKind())
		require.Equal(t, "v1", ev.GetInvolvedObject().GetApiVersion())
		require.Equal(t, "default", ev.GetMetadata().GetNamespace())
		require.Equal(t, "host_1", ev.GetReportingInstance())
		require.Equal(t, "default-scheduler", ev.GetReportingComponent())
		require.Equal(t, "web", ev.GetInvolvedObject().GetName())
		require.Equal(t, "uid-web", ev.GetInvolvedObject().GetUid())
		require.Equal(t, "default-scheduler", ev.GetSource().GetComponent())
		require.Equal(t, "host_1", ev.GetSource().GetHost())
		require.Equal(t, "Warning", ev.GetType())
		require.Equal(t, "FailedScheduling", ev.GetReason())
		if ev.GetMessage() == "0/1 nodes are available: a: node is unschedulable" {
			require.Equal(t, int32(2), ev.GetCount())
			require.Equal(t, int64(1001), ev.GetLastTimestamp().AsTime().Unix())
			require.Equal(t, int64(1000), ev.GetFirstTimestamp().AsTime().Unix())
		} else {
			require.Equal(t, int32(1), ev.GetCount())
		}
	}
}

func TestSpamFilterLimitsOnePod(t *testing.T) {
	sink := newMemSink()
	clk := clock.NewFake(time.Unix(1000, 0))
	var dropped int
	var mu sync.Mutex
	r := events.New(events.Config{Sink: sink, Component: "default-scheduler", Clock: clk, Logger: zaptest.NewLogger(t),
		OnDrop: func() { mu.Lock(); dropped++; mu.Unlock() }})
	run(t, r)
	flapping := pod("flapping")
	for i := 0; i < 30; i++ {
		r.Eventf(flapping, events.TypeWarning, "FailedScheduling", "attempt %d", i)
	}
	waitWrites(t, sink, 25)
	mu.Lock()
	require.Equal(t, 5, dropped, "a burst of 25, then nothing until the bucket refills")
	mu.Unlock()
	r.Eventf(pod("other"), events.TypeWarning, "FailedScheduling", "another pod has its own budget")
	waitWrites(t, sink, 1)
	clk.Step(5 * time.Minute)
	r.Eventf(flapping, events.TypeWarning, "FailedScheduling", "after five minutes")
	waitWrites(t, sink, 1)
	require.Len(t, sink.list(), 27)
}

func TestFullBufferDrops(t *testing.T) {
	sink := newMemSink()
	var dropped int
	r := events.New(events.Config{Sink: sink, Logger: zaptest.NewLogger(t), OnDrop: func() { dropped++ }})
	// Not running: nothing drains the buffer of 1000.
	for i := 0; i < 1100; i++ {
		r.Eventf(pod(fmt.Sprintf("p%d", i)), events.TypeWarning, "FailedScheduling", "x")
	}
	require.Equal(t, 100, dropped, "Eventf never blocks")
}

// Writes go out in bursts of 100, then 50 a second, so events never crowd bindings out.
func TestWritesArePaced(t *testing.T) {
	sink := newMemSink()
	clk := clock.NewFake(time.Unix(1000, 0))
	r := events.New(events.Config{Sink: sink, Component: "default-scheduler", Clock: clk, Logger: zaptest.NewLogger(t)})
	run(t, r)
	for i := range 102 {
		r.Eventf(pod(fmt.Sprintf("p%d", i)), events.TypeNormal, "Scheduled", "assigned")
	}
	waitWrites(t, sink, 100)
	// The 101st waits for a token, which the fake clock has not earned yet.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	select {
	case <-sink.written:
		t.Fatal("a write went out before its token was earned")
	case <-time.After(50 * time.Millisecond):
	}
	clk.Step(20 * time.Millisecond)
	waitWrites(t, sink, 1)
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	clk.Step(20 * time.Millisecond)
	waitWrites(t, sink, 1)
	require.Len(t, sink.list(), 102)
}
