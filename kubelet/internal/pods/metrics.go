package pods

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// metrics are the manager's Prometheus collectors, named as Kubernetes' kubelet names them.
type metrics struct {
	podStart          prometheus.Histogram
	runningPods       prometheus.Gauge
	runningContainers prometheus.Gauge
	relistDuration    prometheus.Histogram
}

// newMetrics makes the collectors and registers them on reg unless it is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		podStart: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pod_start_duration_seconds",
			Help:    "Time from a pod's creation until all its containers run.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300},
		}),
		runningPods: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubelet_running_pods", Help: "Pods with a ready sandbox.",
		}),
		runningContainers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubelet_running_containers", Help: "Containers in the running state.",
		}),
		relistDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pleg_relist_duration_seconds",
			Help:    "Time to list the runtime's sandboxes and containers.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.podStart, m.runningPods, m.runningContainers, m.relistDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register pod metrics: %w", err)
		}
	}
	return m, nil
}

// observeStart records a pod's start latency: from its creation (the worker's start for a pod
// without a creation time) to now.
func (m *metrics) observeStart(pod *corev1.Pod, firstSeen, now time.Time) {
	from := firstSeen
	if ts := pod.GetMetadata().GetCreationTimestamp(); ts != nil {
		from = ts.AsTime()
	}
	m.podStart.Observe(max(now.Sub(from), 0).Seconds())
}
