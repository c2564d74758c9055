package events_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestAggregationWindow bumps the count of an event repeated within the window, through a
// patch, and starts a new Event for a repeat that comes later.
func TestAggregationWindow(t *testing.T) {
	sink := newMemSink()
	start := time.Unix(1000, 0)
	clk := clock.NewFake(start)
	r := events.New(events.Config{Sink: sink, Component: "keelson-controller-manager", Clock: clk, Logger: zaptest.NewLogger(t)})
	run(t, r)
	web := pod("web")
	record := func() {
		t.Helper()
		r.Eventf(web, events.TypeWarning, "BackOff", "Back-off restarting failed container")
		waitWrites(t, sink, 1)
	}

	record()
	clk.Step(events.DefaultAggregationWindow - time.Second)
	record() // within the window of the first
	clk.Step(events.DefaultAggregationWindow)
	record() // exactly the window after the second: still aggregated
	require.Equal(t, 1, sink.creates)
	require.Equal(t, 2, sink.patches)
	evs := sink.list()
	require.Len(t, evs, 1)
	require.Equal(t, int32(3), evs[0].GetCount())
	require.Equal(t, start.UTC(), evs[0].GetFirstTimestamp().AsTime())
	require.Equal(t, clk.Now().UTC(), evs[0].GetLastTimestamp().AsTime())

	clk.Step(events.DefaultAggregationWindow + time.Second)
	record() // too late: a new Event
	require.Equal(t, 2, sink.creates)
	require.Equal(t, 2, sink.patches)
	evs = sink.list()
	require.Len(t, evs, 2)
	for _, ev := range evs {
		if ev.GetCount() == 1 {
			require.Equal(t, clk.Now().UTC(), ev.GetFirstTimestamp().AsTime())
			require.Equal(t, clk.Now().UTC(), ev.GetLastTimestamp().AsTime())
		} else {
			require.Equal(t, int32(3), ev.GetCount())
		}
	}

	// A configured window replaces the default.
	sink2 := newMemSink()
	r2 := events.New(events.Config{Sink: sink2, Clock: clk, AggregationWindow: time.Minute, Logger: zaptest.NewLogger(t)})
	run(t, r2)
	r2.Eventf(web, events.TypeNormal, "Pulled", "pulled")
	waitWrites(t, sink2, 1)
	clk.Step(time.Minute + time.Second)
	r2.Eventf(web, events.TypeNormal, "Pulled", "pulled")
	waitWrites(t, sink2, 1)
	require.Equal(t, 2, sink2.creates)
	require.Zero(t, sink2.patches)
}

// TestRepeatOfExpiredEvent creates the event again when the one it repeats is gone from the API.
func TestRepeatOfExpiredEvent(t *testing.T) {
	sink := newMemSink()
	clk := clock.NewFake(time.Unix(1000, 0))
	r := events.New(events.Config{Sink: sink, Component: "default-scheduler", Clock: clk, Logger: zaptest.NewLogger(t)})
	run(t, r)
	r.Eventf(pod("web"), events.TypeWarning, "FailedScheduling", "no nodes")
	waitWrites(t, sink, 1)
	sink.expire()
	clk.Step(time.Second)
	r.Eventf(pod("web"), events.TypeWarning, "FailedScheduling", "no nodes")
	waitWrites(t, sink, 1)
	require.Equal(t, 2, sink.creates)
	require.Zero(t, sink.patches)
	evs := sink.list()
	require.Len(t, evs, 1)
	require.Equal(t, int32(1), evs[0].GetCount())

	clk.Step(time.Second)
	r.Eventf(pod("web"), events.TypeWarning, "FailedScheduling", "no nodes")
	waitWrites(t, sink, 1)
	require.Equal(t, 1, sink.patches, "the new event is the one repeats bump")
	require.Equal(t, int32(2), sink.list()[0].GetCount())
}

// TestEventsAboutAnyKind names the kind and apiVersion of any built-in object, files events about
// cluster-scoped objects in the default namespace, and reports the configured component and
// instance.
func TestEventsAboutAnyKind(t *testing.T) {
	tests := []struct {
		name         string
		obj          scheme.Object
		cfg          events.Config
		wantKind     string
		wantVersion  string
		wantNS       string
		wantInstance string
	}{
		{
			name:     "node from a kubelet",
			obj:      &corev1.Node{Metadata: &metav1.ObjectMeta{Name: "node-1", Uid: "u1"}},
			cfg:      events.Config{Component: "kubelet", Host: "node-1"},
			wantKind: "Node", wantVersion: "v1", wantNS: "default", wantInstance: "node-1",
		},
		{
			name:     "deployment from a controller manager replica",
			obj:      &appsv1.Deployment{Metadata: &metav1.ObjectMeta{Namespace: "shop", Name: "web", Uid: "u2"}},
			cfg:      events.Config{Component: "deployment-controller", Host: "cm-host", Instance: "cm-host_1234"},
			wantKind: "Deployment", wantVersion: "apps/v1", wantNS: "shop", wantInstance: "cm-host_1234",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newMemSink()
			cfg := tt.cfg
			cfg.Sink, cfg.Clock, cfg.Logger = sink, clock.NewFake(time.Unix(1000, 0)), zaptest.NewLogger(t)
			r := events.New(cfg)
			run(t, r)
			r.Eventf(tt.obj, events.TypeNormal, "Seen", "seen by %s", tt.cfg.Component)
			waitWrites(t, sink, 1)
			evs := sink.list()
			require.Len(t, evs, 1)
			ev := evs[0]
			m := tt.obj.GetMetadata()
			require.Equal(t, tt.wantNS, ev.GetMetadata().GetNamespace())
			require.Equal(t, &corev1.ObjectReference{
				Kind: tt.wantKind, ApiVersion: tt.wantVersion, Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid(),
			}, ev.GetInvolvedObject())
			require.Equal(t, "seen by "+tt.cfg.Component, ev.GetMessage())
			require.Equal(t, tt.cfg.Component, ev.GetSource().GetComponent())
			require.Equal(t, tt.cfg.Host, ev.GetSource().GetHost())
			require.Equal(t, tt.cfg.Component, ev.GetReportingComponent())
			require.Equal(t, tt.wantInstance, ev.GetReportingInstance())
		})
	}
}

// TestUnknownKindIsDropped drops an event about an object the scheme does not know, as it
// cannot name it.
func TestUnknownKindIsDropped(t *testing.T) {
	var dropped atomic.Int32
	sink := newMemSink()
	r := events.New(events.Config{Sink: sink, Logger: zaptest.NewLogger(t), OnDrop: func() { dropped.Add(1) }})
	r.Eventf(&corev1.Binding{Metadata: &metav1.ObjectMeta{Namespace: "default", Name: "web"}}, events.TypeNormal, "Bound", "x")
	require.Equal(t, int32(1), dropped.Load())
}
