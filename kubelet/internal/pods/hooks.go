package pods

import (
	"context"
	"errors"
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// runHook runs a postStart or preStop handler for container run id within timeout: exec through
// the runtime, an HTTP GET (2xx and 3xx succeed), or a sleep on the manager's clock. It returns a
// message and an error when the handler failed.
func (w *worker) runHook(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id, podIP string, h *corev1.LifecycleHandler, timeout time.Duration) (string, error) {
	var ok bool
	var msg string
	switch {
	case h.GetExec() != nil:
		ok, msg = w.execAction(ctx, id, h.GetExec().GetCommand(), timeout)
	case h.GetHttpGet() != nil:
		ok, msg = w.httpAction(ctx, c, h.GetHttpGet(), podIP, timeout)
	case h.GetSleep() != nil:
		d := min(time.Duration(h.GetSleep().GetSeconds())*time.Second, timeout)
		t := w.m.clock.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err().Error(), ctx.Err()
		case <-t.C():
		}
		return "", nil
	default:
		msg = "container " + c.GetName() + " of pod " + podName(pod) + ": lifecycle handler has no supported action"
	}
	if ok {
		return "", nil
	}
	return msg, errors.New(msg)
}
