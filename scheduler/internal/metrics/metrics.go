// Package metrics defines the scheduler's Prometheus metrics: scheduling attempts by result,
// end-to-end scheduling latency, the latency of the algorithm and of binding, the depth of each
// part of the scheduling queue, leadership, and dropped events. New registers them on the
// registry the daemon serves on /metrics.
package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// The results of a scheduling attempt.
const (
	ResultScheduled     = "scheduled"
	ResultUnschedulable = "unschedulable"
	ResultError         = "error"
)

// Metrics are the scheduler's metrics. They are safe for concurrent use.
type Metrics struct {
	// Attempts counts scheduling attempts by result.
	Attempts *prometheus.CounterVec
	// E2ELatency is the time from a pod entering the scheduling queue to its binding being
	// written, over every attempt it took.
	E2ELatency prometheus.Histogram
	// AlgorithmLatency is the time the algorithm (filter and score) takes per attempt.
	AlgorithmLatency prometheus.Histogram
	// BindingLatency is the time writing a binding takes.
	BindingLatency prometheus.Histogram
	// PendingPods is the number of pods in each part of the queue (active, backoff,
	// unschedulable).
	PendingPods *prometheus.GaugeVec
	// Leader is 1 while this scheduler leads (or runs without leader election), else 0.
	Leader prometheus.Gauge
	// EventsDropped counts events not written because the recorder's buffer was full or its
	// spam filter held them back.
	EventsDropped prometheus.Counter
	// cacheSize reports the scheduler cache's sizes, read when scraped.
	cacheSize *cacheSizeCollector

	active, backoff, unschedulable prometheus.Gauge
}

// New creates the metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	buckets := prometheus.ExponentialBuckets(0.0005, 2, 18) // 0.5 ms to about 65 s
	m := &Metrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scheduler_schedule_attempts_total",
			Help: "Scheduling attempts by result: scheduled, unschedulable or error.",
		}, []string{"result"}),
		E2ELatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scheduler_e2e_scheduling_duration_seconds",
			Help:    "Time from a pod entering the scheduling queue to its binding being written.",
			Buckets: buckets,
		}),
		AlgorithmLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scheduler_scheduling_algorithm_duration_seconds",
			Help:    "Time the scheduling algorithm (filter and score) takes per attempt.",
			Buckets: buckets,
		}),
		BindingLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scheduler_binding_duration_seconds",
			Help:    "Time writing a binding takes.",
			Buckets: buckets,
		}),
		PendingPods: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "scheduler_pending_pods",
			Help: "Pods waiting in each part of the scheduling queue: active, backoff or unschedulable.",
		}, []string{"queue"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scheduler_leader",
			Help: "1 while this scheduler leads (or runs without leader election), else 0.",
		}),
		EventsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scheduler_events_dropped_total",
			Help: "Events not written because the recorder's buffer was full or its spam filter held them back.",
		}),
	}
	m.cacheSize = &cacheSizeCollector{desc: prometheus.NewDesc("scheduler_cache_size",
		"Nodes, pods and pods only assumed (binding not yet confirmed) in the scheduler's cache.", []string{"type"}, nil)}
	for _, c := range []prometheus.Collector{m.Attempts, m.E2ELatency, m.AlgorithmLatency, m.BindingLatency, m.PendingPods, m.Leader, m.EventsDropped, m.cacheSize} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, r := range []string{ResultScheduled, ResultUnschedulable, ResultError} {
		m.Attempts.WithLabelValues(r) // export zeros, so a rate has a start
	}
	m.active = m.PendingPods.WithLabelValues("active")
	m.backoff = m.PendingPods.WithLabelValues("backoff")
	m.unschedulable = m.PendingPods.WithLabelValues("unschedulable")
	m.SetQueueDepths(0, 0, 0)
	return m, nil
}

// SetQueueDepths records the sizes of the parts of the scheduling queue.
func (m *Metrics) SetQueueDepths(active, backoff, unschedulable int) {
	m.active.Set(float64(active))
	m.backoff.Set(float64(backoff))
	m.unschedulable.Set(float64(unschedulable))
}

// SetCacheSizes makes scrapes report sizes() as scheduler_cache_size{type=nodes|pods|assumed_pods};
// nil stops reporting.
func (m *Metrics) SetCacheSizes(sizes func() (nodes, pods, assumed int)) {
	m.cacheSize.mu.Lock()
	defer m.cacheSize.mu.Unlock()
	m.cacheSize.sizes = sizes
}

// cacheSizeCollector reads the cache's sizes when scraped.
type cacheSizeCollector struct {
	desc  *prometheus.Desc
	mu    sync.Mutex
	sizes func() (nodes, pods, assumed int)
}

func (c *cacheSizeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *cacheSizeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	sizes := c.sizes
	c.mu.Unlock()
	if sizes == nil {
		return
	}
	nodes, pods, assumed := sizes()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(nodes), "nodes")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(pods), "pods")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(assumed), "assumed_pods")
}
