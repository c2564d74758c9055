// Package metrics defines keelson-proxy's Prometheus metrics: per service port, the connections
// and UDP flows forwarded, the bytes moved each way, the errors met, and how long a change took to
// reach the forwarding rules.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is the set of proxy metrics registered on one registry.
type Metrics struct {
	connections *prometheus.CounterVec
	active      *prometheus.GaugeVec
	bytes       *prometheus.CounterVec
	errors      *prometheus.CounterVec
	syncLatency *prometheus.HistogramVec
	syncRun     prometheus.Histogram
}

// New makes the proxy's metrics and registers them on reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "keelson_proxy", Name: "connections_total",
			Help: "Connections (TCP) and flows (UDP) forwarded to an endpoint, per service port.",
		}, []string{"service", "protocol"}),
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "keelson_proxy", Name: "active_connections",
			Help: "Connections (TCP) and flows (UDP) open now, per service port.",
		}, []string{"service", "protocol"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "keelson_proxy", Name: "bytes_total",
			Help: "Bytes forwarded per service port; direction is to_endpoint or to_client.",
		}, []string{"service", "protocol", "direction"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "keelson_proxy", Name: "errors_total",
			Help: "Forwarding failures per service port: no_endpoints, dial (one failed attempt), exhausted (every attempt failed), accept, io.",
		}, []string{"service", "protocol", "reason"}),
		syncLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "keelson_proxy", Name: "sync_latency_seconds",
			Help:    "Time from a Service or Endpoints change being seen to the forwarding rules applying it, per service.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"service"}),
		syncRun: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "keelson_proxy", Name: "sync_duration_seconds",
			Help:    "Time one sync of every service's forwarding rules took.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
	}
	for _, c := range []prometheus.Collector{m.connections, m.active, m.bytes, m.errors, m.syncLatency, m.syncRun} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Service returns the recorder of one service port's forwarding. A nil *Metrics gives a recorder
// that records nothing.
func (m *Metrics) Service(service, protocol string) *Service {
	if m == nil {
		return nil
	}
	return &Service{
		connections: m.connections.WithLabelValues(service, protocol),
		active:      m.active.WithLabelValues(service, protocol),
		toEndpoint:  m.bytes.WithLabelValues(service, protocol, "to_endpoint"),
		toClient:    m.bytes.WithLabelValues(service, protocol, "to_client"),
		errors:      m.errors.MustCurryWith(prometheus.Labels{"service": service, "protocol": protocol}),
	}
}

// ObserveSync records that a change of service took latency to reach the forwarding rules.
func (m *Metrics) ObserveSync(service string, latency time.Duration) {
	if m == nil {
		return
	}
	m.syncLatency.WithLabelValues(service).Observe(latency.Seconds())
}

// ObserveSyncRun records the duration of one whole sync.
func (m *Metrics) ObserveSyncRun(d time.Duration) {
	if m == nil {
		return
	}
	m.syncRun.Observe(d.Seconds())
}

// Forget drops the forwarding series of a service port that is gone.
func (m *Metrics) Forget(service string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"service": service}
	m.connections.DeletePartialMatch(l)
	m.active.DeletePartialMatch(l)
	m.bytes.DeletePartialMatch(l)
	m.errors.DeletePartialMatch(l)
}

// ForgetService drops the sync latency series of a service that is gone.
func (m *Metrics) ForgetService(service string) {
	if m == nil {
		return
	}
	m.syncLatency.DeleteLabelValues(service)
}

// Service records one service port's forwarding. Its methods are safe for concurrent use, and do
// nothing on a nil *Service.
type Service struct {
	connections prometheus.Counter
	active      prometheus.Gauge
	toEndpoint  prometheus.Counter
	toClient    prometheus.Counter
	errors      *prometheus.CounterVec
}

// Opened counts a connection or flow that reached an endpoint.
func (s *Service) Opened() {
	if s == nil {
		return
	}
	s.connections.Inc()
	s.active.Inc()
}

// Closed counts the end of a connection or flow that Opened counted.
func (s *Service) Closed() {
	if s == nil {
		return
	}
	s.active.Dec()
}

// Bytes counts bytes moved to the endpoint and back to the client.
func (s *Service) Bytes(toEndpoint, toClient int64) {
	if s == nil {
		return
	}
	s.toEndpoint.Add(float64(toEndpoint))
	s.toClient.Add(float64(toClient))
}

// Error counts one failure for reason.
func (s *Service) Error(reason string) {
	if s == nil {
		return
	}
	s.errors.WithLabelValues(reason).Inc()
}
