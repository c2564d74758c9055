package pods_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/pods"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The node agent builds one Manager per node, runs it beside its other loops and hands it the
// merged desired set from every pod source whenever that set changes.
func ExampleManager() {
	ctx, cancel := context.WithCancel(context.Background()) // in a daemon: the run context
	defer cancel()
	m, err := pods.New(pods.Config{
		Runtime:  hollow.New(clock.RealClock{}),
		NodeName: "node-1",
		NodeIP:   "127.0.0.1",
		Logger:   zap.NewNop(),
		// Client: the API client (statuses, deletions, ConfigMaps/Secrets/Services);
		// Recorder: an *events.Recorder; Metrics: the kubelet's registry.
	})
	if err != nil {
		return
	}
	go func() { _ = m.Run(ctx) }() // in a daemon: one of run.Group's functions

	var desired []*corev1.Pod // from the apiserver, file, URL and HTTP sources
	m.SetPods(desired)
	_ = m.Pods()                                              // for /pods
	_, _ = m.ContainerLogPath("default", "web", "app", false) // for /containerLogs
}
