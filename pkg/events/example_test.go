package events_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// A daemon builds one recorder, runs it beside its other loops, and records events from any
// goroutine; Eventf never blocks.
func ExampleRecorder() {
	ctx, cancel := context.WithCancel(context.Background()) // in a daemon: the run context
	defer cancel()
	c, err := client.New(client.Config{Endpoints: []string{"127.0.0.1:6443"}})
	if err != nil {
		return
	}
	defer func() { _ = c.Close() }()
	r := events.New(events.Config{
		Sink:      events.ClientSink{Client: c},
		Component: "kubelet",
		Host:      "node-1",
		Scheme:    c.Scheme(),
		Logger:    zap.NewNop(),
	})
	go func() { _ = r.Run(ctx) }() // in a daemon: one of run.Group's functions

	var pod *corev1.Pod // from an informer
	r.Eventf(pod, events.TypeWarning, "BackOff", "Back-off restarting failed container %s", "app")
}
