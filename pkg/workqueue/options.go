package workqueue

import "github.com/keelson-dev/keelson/pkg/clock"

// Option configures a queue or a rate limiter.
type Option func(*options)

type options struct {
	clock clock.Clock
}

// WithClock sets the clock that times delays and refills token buckets. The default is
// clock.RealClock{}.
func WithClock(c clock.Clock) Option {
	return func(o *options) { o.clock = c }
}

func buildOptions(opts []Option) options {
	o := options{clock: clock.RealClock{}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
