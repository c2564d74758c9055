// Package backoff computes the exponential pauses between retries of the kubelet's API writes:
// registration, lease renewal, status and mirror pods.
package backoff

import "time"

// Exponential is a pause that starts at Initial and doubles with every Next up to Max. Reset
// starts over after a success. The zero value is not usable; it is not safe for concurrent use.
type Exponential struct {
	Initial time.Duration
	Max     time.Duration
	next    time.Duration
}

// Next returns the pause before the next retry and doubles the one after it.
func (b *Exponential) Next() time.Duration {
	if b.next == 0 {
		b.next = b.Initial
	}
	d := b.next
	b.next = min(2*b.next, b.Max)
	return d
}

// Reset makes the next pause Initial again.
func (b *Exponential) Reset() { b.next = 0 }
