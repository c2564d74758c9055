// Package metrics holds the kubelet's own Prometheus metrics, named as Kubernetes' kubelet names
// them. The HTTP server exports them; the pod workers feed them.
package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the kubelet's metrics. The pod workers set the gauges as pods and containers start
// and stop, and observe each pod's start latency (from the kubelet first seeing the pod to all
// its containers running).
type Metrics struct {
	RunningPods       prometheus.Gauge
	RunningContainers prometheus.Gauge
	PodStartDuration  prometheus.Histogram
}

// New makes the metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		RunningPods: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubelet_running_pods", Help: "Number of pods that have a running pod sandbox.",
		}),
		RunningContainers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubelet_running_containers", Help: "Number of containers currently running.",
		}),
		PodStartDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pod_start_duration_seconds",
			Help:    "Duration in seconds from the kubelet seeing a pod for the first time to the pod starting to run.",
			Buckets: []float64{0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600},
		}),
	}
	for _, c := range []prometheus.Collector{m.RunningPods, m.RunningContainers, m.PodStartDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register kubelet metrics: %w", err)
		}
	}
	return m, nil
}
