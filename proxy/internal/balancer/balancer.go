package balancer

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// ErrNoEndpoints is returned by Next when the service port has no ready endpoint.
var ErrNoEndpoints = errors.New("service has no ready endpoints")

// ServicePort names one port of one service, as kube-proxy's ServicePortName does.
type ServicePort struct {
	Namespace string
	Name      string
	// Port is the service port's name ("" for the single unnamed port).
	Port string
}

// String returns "namespace/name:port", or "namespace/name" for an unnamed port.
func (s ServicePort) String() string {
	if s.Port == "" {
		return s.Namespace + "/" + s.Name
	}
	return fmt.Sprintf("%s/%s:%s", s.Namespace, s.Name, s.Port)
}

// Affinity is a service's session affinity.
type Affinity struct {
	// ClientIP sends every connection of one client IP to the same endpoint.
	ClientIP bool
	// Timeout ends a client's session once it has opened nothing for that long.
	Timeout time.Duration
}

// Balancer holds the ready endpoints ("ip:port") of every service port and picks among them. It
// is safe for concurrent use.
type Balancer struct {
	clk clock.Clock

	mu    sync.Mutex
	ports map[ServicePort]*portState
}

// portState is what the balancer knows of one service port.
type portState struct {
	endpoints []string
	next      int
	affinity  Affinity
	sessions  map[string]*session
}

// session is one client's affinity to an endpoint.
type session struct {
	endpoint string
	last     time.Time
}

// New returns a balancer that times sessions on clk.
func New(clk clock.Clock) *Balancer {
	return &Balancer{clk: clk, ports: map[ServicePort]*portState{}}
}

// Set replaces the endpoints and affinity of svc. Endpoints are sorted so that every proxy walks
// them in the same order; when they change, round robin starts again from the first, and sessions
// pinned to an endpoint that is gone are dropped. Open connections are not the balancer's
// concern: they keep running whatever is set.
func (b *Balancer) Set(svc ServicePort, endpoints []string, aff Affinity) {
	eps := slices.Clone(endpoints)
	slices.Sort(eps)
	eps = slices.Compact(eps)
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.ports[svc]
	if !ok {
		st = &portState{sessions: map[string]*session{}}
		b.ports[svc] = st
	}
	if st.affinity != aff {
		st.affinity = aff
		clear(st.sessions)
	}
	if slices.Equal(st.endpoints, eps) {
		return
	}
	st.endpoints = eps
	st.next = 0
	for ip, s := range st.sessions {
		if !slices.Contains(eps, s.endpoint) {
			delete(st.sessions, ip)
		}
	}
}

// Delete forgets svc.
func (b *Balancer) Delete(svc ServicePort) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.ports, svc)
}

// Endpoints returns svc's endpoints in the order round robin walks them.
func (b *Balancer) Endpoints(svc ServicePort) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, ok := b.ports[svc]; ok {
		return slices.Clone(st.endpoints)
	}
	return nil
}

// Next returns the endpoint for a new connection from clientIP to svc. With client-IP affinity it
// returns the client's session endpoint while the session is fresh, unless resetSession is set
// (the previous pick could not be reached), in which case the client moves on to the next
// endpoint in turn. It returns ErrNoEndpoints when svc has none.
func (b *Balancer) Next(svc ServicePort, clientIP string, resetSession bool) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.ports[svc]
	if !ok || len(st.endpoints) == 0 {
		return "", fmt.Errorf("%s: %w", svc, ErrNoEndpoints)
	}
	now := b.clk.Now()
	if st.affinity.ClientIP && clientIP != "" && !resetSession {
		if s, ok := st.sessions[clientIP]; ok && now.Sub(s.last) < st.affinity.Timeout {
			s.last = now
			return s.endpoint, nil
		}
	}
	ep := st.endpoints[st.next%len(st.endpoints)]
	st.next = (st.next + 1) % len(st.endpoints)
	if st.affinity.ClientIP && clientIP != "" {
		st.sessions[clientIP] = &session{endpoint: ep, last: now}
		b.expireLocked(st, now)
	}
	return ep, nil
}

// expireLocked drops st's sessions that have timed out, so clients that never come back do not
// accumulate. It runs when a session is made, which bounds the map by the clients seen within one
// timeout.
func (b *Balancer) expireLocked(st *portState, now time.Time) {
	for ip, s := range st.sessions {
		if now.Sub(s.last) >= st.affinity.Timeout {
			delete(st.sessions, ip)
		}
	}
}
