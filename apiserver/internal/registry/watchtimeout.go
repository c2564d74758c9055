package registry

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// ParseTimeoutSeconds reads a watch's timeoutSeconds as the REST edge receives it: "" is 0, no
// bound; anything but a non-negative integer is the BadRequest WatchContext gives.
func ParseTimeoutSeconds(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidTimeout(s)
	}
	return n, nil
}

// WatchContext bounds ctx by a watch's timeoutSeconds, the check every API edge shares: 0 leaves
// it unbounded, a negative count is a BadRequest naming it (InvalidArgument over gRPC), and a count
// past what a time.Duration holds is as good as unbounded. The caller must call the CancelFunc.
func WatchContext(ctx context.Context, timeoutSeconds int64) (context.Context, context.CancelFunc, error) {
	switch {
	case timeoutSeconds < 0:
		return nil, nil, invalidTimeout(strconv.FormatInt(timeoutSeconds, 10))
	case timeoutSeconds == 0 || timeoutSeconds > int64(math.MaxInt64/time.Second):
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, nil
	default:
		ctx, cancel := context.WithTimeout(ctx, time.Duration(timeoutSeconds)*time.Second)
		return ctx, cancel, nil
	}
}

func invalidTimeout(s string) error {
	return apierrors.NewBadRequest("invalid timeoutSeconds %q: must be a non-negative integer", s)
}
