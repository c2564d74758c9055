package chaos

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// WriterLabel labels every ConfigMap a Writer creates with the writer's name.
const WriterLabel = "chaos-writer"

// Ack is one write the API acknowledged: ConfigMap Name (sequence number Seq) stored at
// resource version RV, answered At.
type Ack struct {
	Seq  int
	Name string
	RV   int64
	At   time.Time
}

// Writer is a bounded write load through one client: one ConfigMap create at a time, <name>-<seq>,
// each write waiting at most Timeout, then Interval until the next. It records every write the
// API acknowledged, so that Check can read each one back.
type Writer struct {
	Name     string
	Client   *client.Client
	Interval time.Duration
	Timeout  time.Duration
	// Max bounds the writes tried.
	Max int

	mu       sync.Mutex
	acks     []Ack
	attempts int
	started  time.Time
}

// Run writes until ctx ends or Max writes were tried. A failed write is not retried under the
// same name: whether it landed is unknown, and Check only holds the acknowledged ones to account.
func (w *Writer) Run(ctx context.Context) error {
	w.mu.Lock()
	w.started = time.Now()
	w.mu.Unlock()
	pause := time.NewTimer(0)
	defer pause.Stop()
	for seq := range w.Max {
		select {
		case <-ctx.Done():
			return nil
		case <-pause.C:
		}
		name := fmt.Sprintf("%s-%06d", w.Name, seq)
		wctx, cancel := context.WithTimeout(ctx, w.Timeout)
		cm, err := w.Client.ConfigMaps("default").Create(wctx, &corev1.ConfigMap{
			Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{WriterLabel: w.Name}},
			Data:     map[string]string{"seq": strconv.Itoa(seq)},
		})
		cancel()
		at := time.Now()
		w.mu.Lock()
		w.attempts++
		if err == nil {
			rv, perr := strconv.ParseInt(cm.GetMetadata().GetResourceVersion(), 10, 64)
			if perr != nil {
				w.mu.Unlock()
				return fmt.Errorf("writer %s: write %s acknowledged with resource version %q: %w", w.Name, name, cm.GetMetadata().GetResourceVersion(), perr)
			}
			w.acks = append(w.acks, Ack{Seq: seq, Name: name, RV: rv, At: at})
		}
		w.mu.Unlock()
		pause.Reset(w.Interval)
	}
	return nil
}

// Acks returns the acknowledged writes so far, in acknowledgement order.
func (w *Writer) Acks() []Ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Ack(nil), w.acks...)
}

// Attempts returns how many writes were tried.
func (w *Writer) Attempts() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attempts
}

// AcksSince returns how many writes were acknowledged after t.
func (w *Writer) AcksSince(t time.Time) int {
	n := 0
	for _, a := range w.Acks() {
		if a.At.After(t) {
			n++
		}
	}
	return n
}

// LongestGap returns the longest time without an acknowledged write that overlaps [from, to]:
// between two consecutive acknowledgements, or from the last one before to (a writer still
// stalled at to).
func (w *Writer) LongestGap(from, to time.Time) time.Duration {
	acks := w.Acks()
	w.mu.Lock()
	prev := w.started
	w.mu.Unlock()
	var longest time.Duration
	for _, a := range acks {
		if a.At.After(from) && prev.Before(to) {
			longest = max(longest, a.At.Sub(prev))
		}
		prev = a.At
	}
	if prev.Before(to) {
		longest = max(longest, to.Sub(prev))
	}
	return longest
}

// Check reads back every acknowledged write of w, from etcd (a linearizable read of the keys) and
// through the API (a consistent list), and returns what is wrong: a write missing or stored at
// another resource version than acknowledged, or acknowledgements whose resource versions do not
// increase in acknowledgement order. The whole history is checked, not a sample.
func (w *Writer) Check(ctx context.Context, etcd *clientv3.Client, api *client.Client) []error {
	acks := w.Acks()
	var errs []error
	for i := 1; i < len(acks); i++ {
		if acks[i].RV <= acks[i-1].RV {
			errs = append(errs, fmt.Errorf("writer %s: %s acknowledged after %s at resource version %d, not above %d",
				w.Name, acks[i].Name, acks[i-1].Name, acks[i].RV, acks[i-1].RV))
		}
	}
	prefix := "/registry/configmaps/default/" + w.Name + "-"
	resp, err := etcd.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return append(errs, fmt.Errorf("writer %s: read etcd: %w", w.Name, err))
	}
	inEtcd := make(map[string]int64, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		inEtcd[string(kv.Key)[len("/registry/configmaps/default/"):]] = kv.ModRevision
	}
	list, err := api.ConfigMaps("default").List(ctx, client.ListOptions{LabelSelector: WriterLabel + "=" + w.Name})
	if err != nil {
		return append(errs, fmt.Errorf("writer %s: list through the API: %w", w.Name, err))
	}
	inAPI := make(map[string]string, len(list.Items))
	for _, cm := range list.Items {
		inAPI[cm.GetMetadata().GetName()] = cm.GetMetadata().GetResourceVersion()
	}
	for _, a := range acks {
		if rev, ok := inEtcd[a.Name]; !ok || rev != a.RV {
			errs = append(errs, fmt.Errorf("writer %s: %s acknowledged at %d; in etcd: %v (revision %d)", w.Name, a.Name, a.RV, ok, rev))
		}
		if rv, ok := inAPI[a.Name]; !ok || rv != strconv.FormatInt(a.RV, 10) {
			errs = append(errs, fmt.Errorf("writer %s: %s acknowledged at %d; listed through the API: %v (resource version %q)", w.Name, a.Name, a.RV, ok, rv))
		}
	}
	return errs
}
