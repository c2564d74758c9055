package mirror

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// fakeAPI is an in-memory pod store that logs the writes made to it.
type fakeAPI struct {
	pods   map[string]*corev1.Pod
	writes []string
	seq    int
}

type nsClient struct {
	api *fakeAPI
	ns  string
}

func (c nsClient) Create(_ context.Context, p *corev1.Pod, _ ...client.CreateOptions) (*corev1.Pod, error) {
	key := c.ns + "/" + p.Metadata.Name
	if _, ok := c.api.pods[key]; ok {
		return nil, apierrors.NewAlreadyExists("", "pods", p.Metadata.Name)
	}
	c.api.seq++
	p = proto.Clone(p).(*corev1.Pod)
	p.Metadata.Uid = fmt.Sprintf("uid-%d", c.api.seq)
	c.api.pods[key] = p
	c.api.writes = append(c.api.writes, "create "+key+" "+p.Metadata.Annotations[podsource.AnnotationMirror])
	return p, nil
}

func (c nsClient) Delete(_ context.Context, name string, opts ...client.DeleteOptions) error {
	key := c.ns + "/" + name
	p, ok := c.api.pods[key]
	if !ok {
		return apierrors.NewNotFound("", "pods", name)
	}
	if len(opts) == 0 || opts[0].GracePeriodSeconds == nil || *opts[0].GracePeriodSeconds != 0 || opts[0].PreconditionUID != p.Metadata.Uid {
		return fmt.Errorf("mirror deletes must be immediate and guarded by UID, got %+v", opts)
	}
	delete(c.api.pods, key)
	c.api.writes = append(c.api.writes, "delete "+key)
	return nil
}

func (a *fakeAPI) list() []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range a.pods {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return podsource.FullName(out[i]) < podsource.FullName(out[j]) })
	return out
}

func static(name, hash string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Namespace: "kube-system", Name: name, Uid: hash,
			Annotations: map[string]string{podsource.AnnotationSource: podsource.SourceFile, podsource.AnnotationHash: hash}},
		Spec:   &corev1.PodSpec{NodeName: "n1", Containers: []*corev1.Container{{Name: "c"}}},
		Status: &corev1.PodStatus{Phase: "Running"},
	}
}

func TestReconcile(t *testing.T) {
	api := &fakeAPI{pods: map[string]*corev1.Pod{}}
	var statics []*corev1.Pod
	nodeUID := ""
	m := New(Config{
		NodeName:   "n1",
		Pods:       func(ns string) PodClient { return nsClient{api: api, ns: ns} },
		StaticPods: func() []*corev1.Pod { return statics },
		MirrorPods: func() ([]*corev1.Pod, bool) { return api.list(), true },
		NodeUID:    func() string { return nodeUID },
	}, clock.NewFake(time.Now()), zaptest.NewLogger(t))
	ctx := context.Background()
	step := func(want ...string) {
		t.Helper()
		api.writes = nil
		require.NoError(t, m.Reconcile(ctx))
		require.Equal(t, want, api.writes)
	}

	statics = []*corev1.Pod{static("etcd-n1", "h1")}
	step() // node not registered yet
	nodeUID = "node-uid"
	step("create kube-system/etcd-n1 h1")
	got := api.pods["kube-system/etcd-n1"]
	require.Equal(t, "Node", got.Metadata.OwnerReferences[0].Kind)
	require.Equal(t, "node-uid", got.Metadata.OwnerReferences[0].Uid)
	require.Nil(t, got.Status)
	step() // in sync

	delete(api.pods, "kube-system/etcd-n1")
	step("create kube-system/etcd-n1 h1") // deleted mirror comes back

	api.pods["kube-system/etcd-n1"].Metadata.DeletionTimestamp = timestamppb.Now()
	step("delete kube-system/etcd-n1", "create kube-system/etcd-n1 h1") // gracefully deleted: confirm and recreate

	statics = []*corev1.Pod{static("etcd-n1", "h2")}
	step("delete kube-system/etcd-n1", "create kube-system/etcd-n1 h2") // edited manifest

	statics = nil
	step("delete kube-system/etcd-n1") // removed manifest
	step()
}

// TestRunRetriesUntilListed checks that a registered node whose pods are not listed yet gets its
// mirrors as soon as they are, after a short backoff, not a whole resync later: a kubelet that
// starts before its API server registers moments before its pod informer lists.
func TestRunRetriesUntilListed(t *testing.T) {
	api := &fakeAPI{pods: map[string]*corev1.Pod{}}
	listed := make(chan struct{})
	clk := clock.NewFake(time.Now())
	m := New(Config{
		NodeName:   "n1",
		Pods:       func(ns string) PodClient { return nsClient{api: api, ns: ns} },
		StaticPods: func() []*corev1.Pod { return []*corev1.Pod{static("etcd-n1", "h1")} },
		MirrorPods: func() ([]*corev1.Pod, bool) {
			select {
			case <-listed:
				return nil, true
			default:
				return nil, false
			}
		},
		NodeUID: func() string { return "node-uid" },
		Resync:  time.Hour,
	}, clk, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	// The first reconcile finds nothing listed and waits a backoff, not the resync.
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	close(listed)
	clk.Step(200 * time.Millisecond)
	// The second reconcile creates the mirror, then Run waits for the resync.
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []string{"create kube-system/etcd-n1 h1"}, api.writes)
}
