package queue

import (
	"context"
	"maps"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// flushPeriod is how often Run moves pods whose backoff has passed to the active queue.
const flushPeriod = time.Second

// Config configures a Queue.
type Config struct {
	// InitialBackoff and MaxBackoff bound the backoff after failed attempts (defaults 1 s, 10 s).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Clock          clock.Clock
	// Depths, when set, is told the sizes of the active queue, backoff queue and unschedulable
	// set after every change.
	Depths func(active, backoff, unschedulable int)
}

// Queue is the scheduling queue. It is safe for concurrent use.
type Queue struct {
	cfg Config

	mu            sync.Mutex
	cond          *sync.Cond
	active        *podHeap
	backoff       *podHeap
	unschedulable map[string]*QueuedPodInfo
	inFlight      map[string]*flight
	// cycle counts Pops; moveCycle is the cycle during which the last cluster change arrived.
	cycle, moveCycle int64
	closed           bool
}

// flight is what happened to a pod while it was in flight.
type flight struct {
	latest  *corev1.Pod // the newest version seen, nil when unchanged
	deleted bool
}

// New returns an empty queue.
func New(cfg Config) *Queue {
	if cfg.InitialBackoff <= 0 {
		cfg.InitialBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.InitialBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.InitialBackoff)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	q := &Queue{
		cfg:           cfg,
		active:        newPodHeap(activeLess),
		backoff:       newPodHeap(backoffLess),
		unschedulable: map[string]*QueuedPodInfo{},
		inFlight:      map[string]*flight{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Run moves pods whose backoff has passed to the active queue every second until ctx ends, then
// closes the queue, waking every Pop.
func (q *Queue) Run(ctx context.Context) error {
	defer q.Close()
	t := q.cfg.Clock.NewTicker(flushPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			q.FlushBackoffCompleted()
		}
	}
}

// Close makes every Pop, waiting or to come, return false at once; pods still queued are dropped
// with the queue.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// Add queues a new pending pod, or updates it if the queue holds it already.
func (q *Queue) Add(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := nodeinfo.PodKey(pod)
	if q.holdsLocked(key) {
		q.updateLocked(pod)
		return
	}
	now := q.cfg.Clock.Now()
	q.active.add(&QueuedPodInfo{Pod: pod, Key: key, InitialTimestamp: now, Timestamp: now})
	q.changedLocked(true)
}

// Update records a new version of a pending pod. A pod in the unschedulable set whose spec,
// labels or annotations changed gets another attempt (after its backoff); a change of its status
// alone, such as the scheduler's own condition, does not move it.
func (q *Queue) Update(_, cur *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := nodeinfo.PodKey(cur)
	if !q.holdsLocked(key) {
		now := q.cfg.Clock.Now()
		q.active.add(&QueuedPodInfo{Pod: cur, Key: key, InitialTimestamp: now, Timestamp: now})
		q.changedLocked(true)
		return
	}
	q.updateLocked(cur)
}

func (q *Queue) updateLocked(cur *corev1.Pod) {
	key := nodeinfo.PodKey(cur)
	if f, ok := q.inFlight[key]; ok {
		f.latest = cur
		return
	}
	if p, ok := q.active.get(key); ok {
		p.Pod = cur
		q.active.add(p)
		return
	}
	if p, ok := q.backoff.get(key); ok {
		p.Pod = cur
		return
	}
	if p, ok := q.unschedulable[key]; ok {
		changed := specChanged(p.Pod, cur)
		p.Pod = cur
		if changed {
			delete(q.unschedulable, key)
			q.requeueLocked(p)
			q.changedLocked(true)
		}
	}
}

// specChanged reports whether anything but the status and the fields the server maintains
// differs between two versions of a pod.
func specChanged(old, cur *corev1.Pod) bool {
	om, cm := old.GetMetadata(), cur.GetMetadata()
	return !proto.Equal(old.GetSpec(), cur.GetSpec()) ||
		!maps.Equal(om.GetLabels(), cm.GetLabels()) ||
		!maps.Equal(om.GetAnnotations(), cm.GetAnnotations())
}

// Delete drops a pod that was deleted or is no longer pending.
func (q *Queue) Delete(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := nodeinfo.PodKey(pod)
	if f, ok := q.inFlight[key]; ok {
		f.deleted = true
	}
	_, a := q.active.remove(key)
	_, b := q.backoff.remove(key)
	_, u := q.unschedulable[key]
	delete(q.unschedulable, key)
	if a || b || u {
		q.changedLocked(false)
	}
}

// Pop waits for a pod in the active queue and hands it out, putting it in flight until Done. It
// returns the pod and the scheduling cycle it starts, or false once the queue is closed.
func (q *Queue) Pop() (*QueuedPodInfo, int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.active.Len() == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, 0, false
	}
	p, _ := q.active.pop()
	p.Attempts++
	q.cycle++
	q.inFlight[p.Key] = &flight{}
	q.changedLocked(false)
	return p, q.cycle, true
}

// Done ends a pod's flight, whether it was bound, sent back, or given up on.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.inFlight, key)
}

// AddUnschedulable puts an in-flight pod that fit no node in the unschedulable set, or back in
// the active queue if the cluster changed since its attempt began in cycle. A pod deleted in
// flight is dropped.
func (q *Queue) AddUnschedulable(p *QueuedPodInfo, cycle int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.landLocked(p) {
		return
	}
	if q.moveCycle >= cycle {
		q.active.add(p)
		q.changedLocked(true)
		return
	}
	q.unschedulable[p.Key] = p
	q.changedLocked(false)
}

// AddBackoff puts an in-flight pod whose attempt failed for a reason other than fit (a binding
// that could not be written) in the backoff queue. A pod deleted in flight is dropped.
func (q *Queue) AddBackoff(p *QueuedPodInfo) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.landLocked(p) {
		return
	}
	q.backoff.add(p)
	q.changedLocked(false)
}

// landLocked ends p's failed attempt: it reports false when p was deleted in flight or is queued
// again already, and otherwise gives p the newest version seen and starts its backoff.
func (q *Queue) landLocked(p *QueuedPodInfo) bool {
	f, ok := q.inFlight[p.Key]
	if ok && f.deleted {
		return false
	}
	if ok && f.latest != nil {
		p.Pod = f.latest
		f.latest = nil
	}
	if q.queuedLocked(p.Key) {
		return false
	}
	now := q.cfg.Clock.Now()
	p.Timestamp = now
	p.backoffUntil = now.Add(q.backoffDuration(p.Attempts))
	return true
}

// MoveAllToActive sends every unschedulable pod back to the active queue: the cluster changed in
// a way that may let them fit. Pods in flight will come back too.
func (q *Queue) MoveAllToActive() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.moveCycle = q.cycle
	if len(q.unschedulable) == 0 {
		return
	}
	for key, p := range q.unschedulable {
		delete(q.unschedulable, key)
		q.active.add(p)
	}
	q.changedLocked(true)
}

// MoveAffinityPodsToActive sends the unschedulable pods with required pod affinity that the
// newly placed pod matches back to the active queue.
func (q *Queue) MoveAffinityPodsToActive(placed *corev1.Pod, nsLabels nodeinfo.NamespaceLabels) {
	q.mu.Lock()
	defer q.mu.Unlock()
	moved := false
	for key, p := range q.unschedulable {
		if p.Pod.GetSpec().GetAffinity().GetPodAffinity() == nil {
			continue
		}
		pi, _ := nodeinfo.NewPodInfo(p.Pod) // a term that does not compile matches nothing
		for i := range pi.RequiredAffinity {
			if pi.RequiredAffinity[i].Matches(placed, nsLabels) {
				delete(q.unschedulable, key)
				q.active.add(p)
				moved = true
				break
			}
		}
	}
	if moved {
		q.changedLocked(true)
	}
}

// FlushBackoffCompleted moves the pods in the backoff queue and the unschedulable set whose
// backoff has passed to the active queue.
func (q *Queue) FlushBackoffCompleted() {
	now := q.cfg.Clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	moved := false
	for {
		p, ok := q.backoff.peek()
		if !ok || p.backoffUntil.After(now) {
			break
		}
		q.backoff.pop()
		q.active.add(p)
		moved = true
	}
	for key, p := range q.unschedulable {
		if !p.backoffUntil.After(now) {
			delete(q.unschedulable, key)
			q.active.add(p)
			moved = true
		}
	}
	if moved {
		q.changedLocked(true)
	}
}

// requeueLocked sends p to the active queue if its backoff has passed, else to the backoff queue.
func (q *Queue) requeueLocked(p *QueuedPodInfo) {
	if p.backoffUntil.After(q.cfg.Clock.Now()) {
		q.backoff.add(p)
		return
	}
	q.active.add(p)
}

// backoffDuration is the backoff after attempts failed attempts: InitialBackoff doubled for each
// attempt after the first, at most MaxBackoff.
func (q *Queue) backoffDuration(attempts int) time.Duration {
	d := q.cfg.InitialBackoff
	for i := 1; i < attempts; i++ {
		d *= 2
		if d >= q.cfg.MaxBackoff {
			return q.cfg.MaxBackoff
		}
	}
	return min(d, q.cfg.MaxBackoff)
}

// holdsLocked reports whether the pod is queued anywhere or in flight.
func (q *Queue) holdsLocked(key string) bool {
	_, f := q.inFlight[key]
	return f || q.queuedLocked(key)
}

func (q *Queue) queuedLocked(key string) bool {
	_, a := q.active.get(key)
	_, b := q.backoff.get(key)
	_, u := q.unschedulable[key]
	return a || b || u
}

// changedLocked reports the depths and, when pods became active, wakes Pop.
func (q *Queue) changedLocked(activated bool) {
	if activated {
		q.cond.Broadcast()
	}
	if q.cfg.Depths != nil {
		q.cfg.Depths(q.active.Len(), q.backoff.Len(), len(q.unschedulable))
	}
}

// Len returns the sizes of the active queue, the backoff queue and the unschedulable set.
func (q *Queue) Len() (active, backoff, unschedulable int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), q.backoff.Len(), len(q.unschedulable)
}
