// Package eventstest is a recorder for tests of code that records Events: it keeps what it is
// given, in order, so a test can assert which events a reconcile recorded.
package eventstest

import (
	"fmt"
	"strings"
	"sync"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Recorder keeps the events it is given as "Type Reason Message". It is safe for concurrent use.
type Recorder struct {
	mu      sync.Mutex
	events  []string
	reasons []string
}

// Eventf records an event of eventType with reason and the formatted message.
func (r *Recorder) Eventf(_ scheme.Object, eventType, reason, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, eventType+" "+reason+" "+fmt.Sprintf(format, args...))
	r.reasons = append(r.reasons, reason)
}

// Events returns the events recorded so far as "Type Reason Message".
func (r *Recorder) Events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

// Reasons returns the reasons of the events recorded so far.
func (r *Recorder) Reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reasons...)
}

// Count returns how many recorded events start with prefix.
func (r *Recorder) Count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}
