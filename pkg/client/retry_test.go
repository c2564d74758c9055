package client_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// throttler refuses the first `refuse` creates as the apiserver's in-flight limit does (429,
// retry after retryAfter seconds), then stores each as it came.
type throttler struct {
	resourcev1.UnimplementedResourceServiceServer
	refuse     int32
	retryAfter int32
	calls      atomic.Int32
}

func (s *throttler) Create(_ context.Context, req *resourcev1.CreateRequest) (*resourcev1.CreateResponse, error) {
	if s.calls.Add(1) <= s.refuse {
		return nil, apierrors.ToGRPC(apierrors.NewTooManyRequests("the limit of 200 mutating requests in flight is reached", s.retryAfter))
	}
	return &resourcev1.CreateResponse{Object: req.GetObject()}, nil
}

func serveThrottler(t *testing.T, s *throttler, retries int) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoints: []string{serveResources(t, s)}, Retries: retries, RetryBackoff: time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// A request the server turned away for too many requests in flight is repeated after the pause
// the server asked for, even a create with generateName, which is never repeated after a server
// may have acted on it; a 429 without a retry-after, and one that outlasts the retries, reach the
// caller.
func TestTooManyRequestsIsRetriedAfterTheServersPause(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pod := func() *corev1.Pod {
		return &corev1.Pod{Metadata: &metav1.ObjectMeta{GenerateName: "web-", Namespace: "default"}}
	}

	s := &throttler{refuse: 1, retryAfter: 1}
	c := serveThrottler(t, s, 6)
	start := time.Now()
	_, err := c.Pods("default").Create(ctx, pod())
	require.NoError(t, err)
	require.Equal(t, int32(2), s.calls.Load(), "refused once, then created")
	require.GreaterOrEqual(t, time.Since(start), time.Second, "the retry waits the server's retry-after")

	s = &throttler{refuse: 1}
	c = serveThrottler(t, s, 6)
	_, err = c.Pods("default").Create(ctx, pod())
	require.True(t, apierrors.ReasonFor(err) == apierrors.ReasonTooManyRequests, "%v", err)
	require.Equal(t, int32(1), s.calls.Load(), "a 429 without a retry-after is not repeated")

	s = &throttler{refuse: 100, retryAfter: 1}
	c = serveThrottler(t, s, 1)
	_, err = c.Pods("default").Create(ctx, pod())
	require.True(t, apierrors.ReasonFor(err) == apierrors.ReasonTooManyRequests, "%v", err)
	require.ErrorContains(t, err, "mutating requests in flight")
	require.Equal(t, int32(2), s.calls.Load(), "tried once more, as many times as Retries")
}
