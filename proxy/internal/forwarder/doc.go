// Package forwarder moves traffic from a service's listening socket to the endpoints a Picker
// chooses: TCP streams (with half-close carried both ways and a failed connect retried on the
// next endpoint) and UDP datagrams (one flow socket per client, replies relayed back, idle flows
// expired on an injected clock).
//
// A forwarder owns its socket from New on: Run serves it until the context ends, then closes it
// and every connection or flow it opened, and returns once all its goroutines have.
package forwarder

import "time"

// Picker chooses the endpoint ("ip:port") for a new connection or flow from clientIP. reset says
// the previous pick for this client could not be reached, so any session affinity must move on.
type Picker interface {
	Next(clientIP string, reset bool) (string, error)
}

// PickerFunc adapts a function to Picker.
type PickerFunc func(clientIP string, reset bool) (string, error)

// Next calls f.
func (f PickerFunc) Next(clientIP string, reset bool) (string, error) { return f(clientIP, reset) }

// Defaults, as kube-proxy's userspace mode has them.
const (
	// DefaultUDPIdleTimeout ends a UDP flow that has carried nothing for that long.
	DefaultUDPIdleTimeout = 250 * time.Millisecond
	// maxDialAttempts bounds how many endpoints one TCP connection tries.
	maxDialAttempts = 4
)

// dialTimeouts are the connect timeouts of successive attempts: a live endpoint on this node
// answers within the first, and a dead one costs little before the next is tried.
var dialTimeouts = [maxDialAttempts]time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
