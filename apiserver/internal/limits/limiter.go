package limits

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Kubernetes' defaults, and Keelson's bound on watches per client.
const (
	DefaultMaxRequestsInflight         = 400
	DefaultMaxMutatingRequestsInflight = 200
	DefaultMaxWatchesPerClient         = 1000
	// DefaultQueueWait is as long as the Retry-After a refused client would wait anyway.
	DefaultQueueWait = time.Second
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
	// QueueWait is how long a request that finds every slot of its class taken waits for one,
	// in a queue as long as the class's bound, before it is refused: a burst is served as slots
	// free up rather than sent away to come back after its Retry-After. 0: refused at once.
	QueueWait time.Duration
}

// Limiter admits requests within its Config. It is safe for concurrent use; a nil Limiter admits
// everything.
type Limiter struct {
	cfg Config
	// readOnly and mutating are semaphores: a request holds one slot while it is served. nil
	// is no bound.
	readOnly, mutating chan struct{}
	// readOnlyQueue and mutatingQueue hold a ticket for each request waiting for a slot: as
	// many as the class has slots.
	readOnlyQueue, mutatingQueue chan struct{}

	mu sync.Mutex
	// watches counts the open watches of each client that holds any.
	watches map[string]int
}

// New returns a Limiter enforcing cfg.
func New(cfg Config) *Limiter {
	l := &Limiter{cfg: cfg, watches: map[string]int{}}
	if cfg.MaxRequestsInflight > 0 {
		l.readOnly = make(chan struct{}, cfg.MaxRequestsInflight)
		l.readOnlyQueue = make(chan struct{}, cfg.MaxRequestsInflight)
	}
	if cfg.MaxMutatingRequestsInflight > 0 {
		l.mutating = make(chan struct{}, cfg.MaxMutatingRequestsInflight)
		l.mutatingQueue = make(chan struct{}, cfg.MaxMutatingRequestsInflight)
	}
	return l
}

// Admit takes a slot for a request of class c. When every slot is taken it waits for one, up to
// Config.QueueWait and while ctx lasts, behind at most as many waiting requests as the class has
// slots; then it fails with TooManyRequests (429, retry after 1 s), as Kubernetes does. After a
// nil error the caller must call Done(c) once the request ends. LongRunning and Watch take no
// slot here.
func (l *Limiter) Admit(ctx context.Context, c Class) error {
	sem, queue, limit, what := l.semaphore(c)
	if sem == nil {
		return nil
	}
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	tooMany := apierrors.NewTooManyRequests(fmt.Sprintf(
		"Too many requests, please try again later: the limit of %d %s requests in flight is reached", limit, what), retryAfterSeconds)
	if l.cfg.QueueWait <= 0 {
		return tooMany
	}
	select {
	case queue <- struct{}{}:
		defer func() { <-queue }()
	default:
		return tooMany // the queue is full too
	}
	t := time.NewTimer(l.cfg.QueueWait)
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return nil
	case <-t.C:
		return tooMany
	case <-ctx.Done():
		return tooMany
	}
}

// Queued returns how many requests of class c wait for a slot.
func (l *Limiter) Queued(c Class) int {
	_, queue, _, _ := l.semaphore(c)
	return len(queue)
}

// Done releases the slot Admit(c) took.
func (l *Limiter) Done(c Class) {
	if sem, _, _, _ := l.semaphore(c); sem != nil {
		<-sem
	}
}

// semaphore returns class c's slots, its queue's tickets, its bound and its name; nil slots when
// c is not bounded.
func (l *Limiter) semaphore(c Class) (sem, queue chan struct{}, limit int, what string) {
	if l == nil {
		return nil, nil, 0, ""
	}
	switch c {
	case ReadOnly:
		return l.readOnly, l.readOnlyQueue, l.cfg.MaxRequestsInflight, "read-only"
	case Mutating:
		return l.mutating, l.mutatingQueue, l.cfg.MaxMutatingRequestsInflight, "mutating"
	default:
		return nil, nil, 0, ""
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
