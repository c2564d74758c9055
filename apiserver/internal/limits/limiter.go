package limits

import (
	"fmt"
	"sync"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Kubernetes' defaults, and Keelson's bound on watches per client.
const (
	DefaultMaxRequestsInflight         = 400
	DefaultMaxMutatingRequestsInflight = 200
	DefaultMaxWatchesPerClient         = 1000
)

// retryAfterSeconds is the Retry-After a refused request gets, Kubernetes' "1".
const retryAfterSeconds = 1

// Class says how a request counts against the limits.
type Class int

const (
	// ReadOnly requests (get, list, discovery) share the read-only bound.
	ReadOnly Class = iota
	// Mutating requests (create, update, patch, delete and their subresources) share the
	// mutating bound.
	Mutating
	// LongRunning requests (followed logs) count against no bound.
	LongRunning
	// Watch requests count against their client's watch bound only.
	Watch
)

// Config sets the bounds; 0 leaves one unbounded.
type Config struct {
	// MaxRequestsInflight bounds the read-only requests served at once.
	MaxRequestsInflight int
	// MaxMutatingRequestsInflight bounds the mutating requests served at once.
	MaxMutatingRequestsInflight int
	// MaxWatchesPerClient bounds the watches one client (a remote IP address) holds open.
	MaxWatchesPerClient int
}

// Limiter admits requests within its Config. It is safe for concurrent use; a nil Limiter admits
// everything.
type Limiter struct {
	cfg Config
	// readOnly and mutating are semaphores: a request holds one slot while it is served. nil
	// is no bound.
	readOnly, mutating chan struct{}

	mu sync.Mutex
	// watches counts the open watches of each client that holds any.
	watches map[string]int
}

// New returns a Limiter enforcing cfg.
func New(cfg Config) *Limiter {
	l := &Limiter{cfg: cfg, watches: map[string]int{}}
	if cfg.MaxRequestsInflight > 0 {
		l.readOnly = make(chan struct{}, cfg.MaxRequestsInflight)
	}
	if cfg.MaxMutatingRequestsInflight > 0 {
		l.mutating = make(chan struct{}, cfg.MaxMutatingRequestsInflight)
	}
	return l
}

// Admit takes a slot for a request of class c, without waiting: when every slot is taken it fails
// with TooManyRequests (429, retry after 1 s), as Kubernetes does. After a nil error the caller
// must call Done(c) once the request ends. LongRunning and Watch take no slot here.
func (l *Limiter) Admit(c Class) error {
	sem, limit, what := l.semaphore(c)
	if sem == nil {
		return nil
	}
	select {
	case sem <- struct{}{}:
		return nil
	default:
		return apierrors.NewTooManyRequests(fmt.Sprintf(
			"Too many requests, please try again later: the limit of %d %s requests in flight is reached", limit, what), retryAfterSeconds)
	}
}

// Done releases the slot Admit(c) took.
func (l *Limiter) Done(c Class) {
	if sem, _, _ := l.semaphore(c); sem != nil {
		<-sem
	}
}

func (l *Limiter) semaphore(c Class) (chan struct{}, int, string) {
	if l == nil {
		return nil, 0, ""
	}
	switch c {
	case ReadOnly:
		return l.readOnly, l.cfg.MaxRequestsInflight, "read-only"
	case Mutating:
		return l.mutating, l.cfg.MaxMutatingRequestsInflight, "mutating"
	default:
		return nil, 0, ""
	}
}

// AdmitWatch counts a watch client opens, or fails with TooManyRequests (429, retry after 1 s)
// when client already holds the most it may. After a nil error the caller must call
// WatchDone(client) once the watch ends.
func (l *Limiter) AdmitWatch(client string) error {
	if l == nil || l.cfg.MaxWatchesPerClient <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.watches[client]; n >= l.cfg.MaxWatchesPerClient {
		return apierrors.NewTooManyRequests(fmt.Sprintf(
			"Too many watches, please try again later: client %s holds %d, the limit of watches per client", client, n), retryAfterSeconds)
	}
	l.watches[client]++
	return nil
}

// WatchDone releases a watch AdmitWatch counted.
func (l *Limiter) WatchDone(client string) {
	if l == nil || l.cfg.MaxWatchesPerClient <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// The entry goes with the client's last watch, so the map holds only current clients.
	if l.watches[client]--; l.watches[client] <= 0 {
		delete(l.watches, client)
	}
}
