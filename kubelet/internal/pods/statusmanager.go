package pods

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// statusManager writes the workers' pod statuses through the status subresource: only a status
// that differs from the one last written, retried on conflict, and never for an API pod whose
// object is gone or now has another UID. A static pod's status goes to its mirror pod (same
// namespace and name); a missing mirror is not an error.
type statusManager struct {
	client *client.Client
	clock  clock.Clock
	log    *zap.Logger
	retry  time.Duration

	mu      sync.Mutex
	entries map[string]*statusEntry // by pod UID
	notify  chan struct{}           // buffered 1
}

type statusEntry struct {
	pod     *corev1.Pod       // namespace, name, uid and source of the pod
	status  *corev1.PodStatus // the latest status
	written *corev1.PodStatus // the status last written (or found equal on the server)
	gone    bool              // the API object is gone: write nothing more
}

func newStatusManager(c *client.Client, clk clock.Clock, log *zap.Logger, retry time.Duration) *statusManager {
	return &statusManager{client: c, clock: clk, log: log, retry: retry, entries: map[string]*statusEntry{}, notify: make(chan struct{}, 1)}
}

// set records the latest status of pod; the run loop writes it if it changed.
func (s *statusManager) set(pod *corev1.Pod, st *corev1.PodStatus) {
	uid := pod.GetMetadata().GetUid()
	s.mu.Lock()
	e, ok := s.entries[uid]
	if !ok {
		e = &statusEntry{}
		s.entries[uid] = e
	}
	e.pod = pod
	e.status = st
	dirty := !e.gone && !proto.Equal(e.written, st)
	s.mu.Unlock()
	if dirty {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// rewrite forgets what was last written for uid, so that its status is written again: a static
// pod whose mirror pod was deleted and created anew has an empty status to fill.
func (s *statusManager) rewrite(uid string) {
	s.mu.Lock()
	e, ok := s.entries[uid]
	if ok {
		e.written = nil
	}
	s.mu.Unlock()
	if ok {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// forget drops a pod that left the kubelet.
func (s *statusManager) forget(uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, uid)
}

// statusWriters bounds the status writes in flight. Each is two round trips to the API server
// (read, then write), and a node starting many pods at once has as many statuses to write: one
// at a time, they queued for seconds behind each other.
const statusWriters = 4

// run writes dirty statuses until ctx ends, up to statusWriters at once and never two of one
// pod; failed writes are retried after the retry period. It returns once no write is in flight.
func (s *statusManager) run(ctx context.Context) {
	if s.client == nil {
		<-ctx.Done()
		return
	}
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notify:
		case <-retry:
		}
		retry = nil
		var failed atomic.Bool
		var writes sync.WaitGroup
		slots := make(chan struct{}, statusWriters)
		for _, uid := range s.dirty() { // each pod once
			slots <- struct{}{}
			writes.Go(func() {
				defer func() { <-slots }()
				if err := s.flush(ctx, uid); err != nil {
					if ctx.Err() == nil && !errors.Is(err, errNoMirror) {
						s.log.Warn("write pod status", zap.String("uid", uid), zap.Error(err))
					}
					failed.Store(true)
				}
			})
		}
		writes.Wait()
		if ctx.Err() != nil {
			return
		}
		if failed.Load() {
			retry = s.clock.After(s.retry)
		}
	}
}

func (s *statusManager) dirty() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for uid, e := range s.entries {
		if !e.gone && !proto.Equal(e.written, e.status) {
			out = append(out, uid)
		}
	}
	return out
}

// errNoMirror says a static pod's mirror pod does not exist (yet); the write is retried later.
var errNoMirror = errors.New("no mirror pod")

// maxConflictRetries bounds the read-modify-write loop of one status write.
const maxConflictRetries = 5

// flush writes uid's latest status now if it differs from what the server holds.
func (s *statusManager) flush(ctx context.Context, uid string) error {
	if s.client == nil {
		return nil
	}
	s.mu.Lock()
	e, ok := s.entries[uid]
	if !ok || e.gone || e.status == nil || proto.Equal(e.written, e.status) {
		s.mu.Unlock()
		return nil
	}
	pod, want := e.pod, e.status
	s.mu.Unlock()

	ns, name := pod.GetMetadata().GetNamespace(), pod.GetMetadata().GetName()
	pods := s.client.Pods(ns)
	static := !isAPIPod(pod)
	for range maxConflictRetries {
		cur, err := pods.Get(ctx, name)
		if apierrors.IsNotFound(err) {
			if static {
				return errNoMirror // written once the mirror pod exists
			}
			s.markGone(uid)
			return nil
		}
		if err != nil {
			return fmt.Errorf("get pod %s/%s: %w", ns, name, err)
		}
		if !static && cur.GetMetadata().GetUid() != uid {
			s.markGone(uid)
			return nil
		}
		if p := cur.GetStatus().GetPhase(); !static && (p == PhaseSucceeded || p == PhaseFailed) && p != want.GetPhase() {
			// The server has a final phase; never move a pod back out of it.
			s.markWritten(uid, want)
			return nil
		}
		merged := mergeStatus(cur.GetStatus(), want)
		if proto.Equal(cur.GetStatus(), merged) {
			s.markWritten(uid, want)
			return nil
		}
		cur.Status = merged
		_, err = pods.UpdateStatus(ctx, cur)
		switch {
		case err == nil:
			s.markWritten(uid, want)
			return nil
		case apierrors.IsConflict(err):
			continue
		case apierrors.IsNotFound(err):
			if static {
				return errNoMirror
			}
			s.markGone(uid)
			return nil
		default:
			return fmt.Errorf("update status of pod %s/%s: %w", ns, name, err)
		}
	}
	return fmt.Errorf("update status of pod %s/%s: still conflicting after %d attempts", ns, name, maxConflictRetries)
}

// mergeStatus is want with what the kubelet does not own kept from the server's status: conditions
// of other types (set by the scheduler or controllers) and the nominated node.
func mergeStatus(server, want *corev1.PodStatus) *corev1.PodStatus {
	out := want.CloneVT()
	out.NominatedNodeName = server.GetNominatedNodeName()
	own := map[string]bool{CondPodScheduled: true, CondInitialized: true, CondContainersReady: true, CondReady: true}
	for _, c := range want.GetConditions() {
		own[c.GetType()] = true
	}
	for _, c := range server.GetConditions() {
		if own[c.GetType()] {
			continue
		}
		out.Conditions = append(out.Conditions, c.CloneVT())
	}
	return out
}

func (s *statusManager) markWritten(uid string, st *corev1.PodStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[uid]; ok {
		e.written = st
	}
}

func (s *statusManager) markGone(uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[uid]; ok {
		e.gone = true
	}
}
