package leaderelection

import (
	"context"
	"errors"
	"sync"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// store is the lock's shared state, as the API server holds a Lease: a record and a version that
// every write bumps. Tests write to it directly to play another candidate.
type store struct {
	mu      sync.Mutex
	rec     *Record
	version int
	// failing makes every call fail, as when the API server cannot be reached.
	failing bool
}

var errUnreachable = errors.New("the API server cannot be reached")

func (s *store) get() (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec == nil {
		return Record{}, false
	}
	return *s.rec, true
}

// set stores r as another candidate's write would.
func (s *store) set(r Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec = &r
	s.version++
}

func (s *store) fail(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = on
}

// fakeLock is one candidate's handle on a store. Like LeaseLock, it remembers the version it last
// read or wrote, and an Update of an older version fails with a Conflict.
type fakeLock struct {
	s    *store
	seen int
}

var _ Lock = (*fakeLock)(nil)

func (l *fakeLock) Get(context.Context) (Record, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.failing {
		return Record{}, errUnreachable
	}
	if l.s.rec == nil {
		return Record{}, apierrors.NewNotFound("coordination.k8s.io", "leases", "test")
	}
	l.seen = l.s.version
	return *l.s.rec, nil
}

func (l *fakeLock) Create(_ context.Context, r Record) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.failing {
		return errUnreachable
	}
	if l.s.rec != nil {
		return apierrors.NewAlreadyExists("coordination.k8s.io", "leases", "test")
	}
	l.s.rec = &r
	l.s.version++
	l.seen = l.s.version
	return nil
}

func (l *fakeLock) Update(_ context.Context, r Record) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.s.failing {
		return errUnreachable
	}
	if l.s.rec == nil {
		return apierrors.NewNotFound("coordination.k8s.io", "leases", "test")
	}
	if l.seen != l.s.version {
		return apierrors.NewConflict("coordination.k8s.io", "leases", "test", "the object has been modified")
	}
	l.s.rec = &r
	l.s.version++
	l.seen = l.s.version
	return nil
}

func (l *fakeLock) Describe() string { return "kube-system/test" }
