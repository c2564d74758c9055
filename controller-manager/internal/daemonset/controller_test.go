package daemonset

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events/eventstest"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// testSet is a DaemonSet "agent" selecting app=agent.
func testSet(opts ...func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{
		Metadata: &metav1.ObjectMeta{Name: "agent", Namespace: "default", Uid: "uid-agent", Generation: 1},
		Spec: &appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "agent:1"}}},
			},
			UpdateStrategy: &appsv1.DaemonSetUpdateStrategy{Type: "RollingUpdate",
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &metav1.IntOrString{IntVal: 1}}},
		},
	}
	for _, o := range opts {
		o(ds)
	}
	return ds
}

func node(name string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{}}, Spec: &corev1.NodeSpec{}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func tainted(key, effect string) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, &corev1.Taint{Key: key, Effect: effect}) }
}

func labelled(k, v string) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Metadata.Labels[k] = v }
}

// daemonPod is a running, ready pod of "agent" on node with template hash.
func daemonPod(name, node, hash string, ready bool) *corev1.Pod {
	yes := true
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default",
			Labels:            map[string]string{"app": "agent", RevisionHashLabel: hash},
			CreationTimestamp: timestamppb.New(t0.Add(-time.Hour)),
			OwnerReferences:   []*metav1.OwnerReference{{Kind: "DaemonSet", ApiVersion: "apps/v1", Name: "agent", Uid: "uid-agent", Controller: &yes}}},
		Spec:   &corev1.PodSpec{NodeName: node, Containers: []*corev1.Container{{Name: "c"}}},
		Status: &corev1.PodStatus{Phase: "Running"},
	}
	if ready {
		p.Status.Conditions = []*corev1.PodCondition{{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.New(t0.Add(-time.Minute))}}
	}
	return p
}

type harness struct {
	srv *clienttest.Server
	c   *Controller
	ctx context.Context
}

func start(t *testing.T, objs ...scheme.Object) *harness {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	c, err := New(srv.Client(), f, &eventstest.Recorder{}, clock.NewFake(t0), zaptest.NewLogger(t))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.True(t, f.WaitForSync(ctx))
	return &harness{srv: srv, c: c, ctx: ctx}
}

// reconcile waits for the informers to catch up with the server, then reconciles "agent".
func (h *harness) reconcile(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := max(rv(h.c.pods.LastResourceVersion()), rv(h.c.sets.LastResourceVersion()), rv(h.c.nodes.LastResourceVersion()))
		if seen >= rv(h.srv.ResourceVersion()) && h.c.expectations.Satisfied("default/agent") {
			break
		}
		require.False(t, time.Now().After(deadline), "informers did not catch up")
		<-time.After(time.Millisecond)
	}
	_, err := h.c.reconcile(h.ctx, "default/agent")
	require.NoError(t, err)
}

func rv(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// placement returns "node=hash" of every live pod, sorted, with "new" for the current template.
func (h *harness) placement(t *testing.T, ds *appsv1.DaemonSet) []string {
	t.Helper()
	list, err := h.srv.Client().Pods("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	var out []string
	for _, p := range list.Items {
		if p.GetMetadata().GetDeletionTimestamp() != nil {
			continue
		}
		hash := p.GetMetadata().GetLabels()[RevisionHashLabel]
		if hash == templateHash(ds) {
			hash = "new"
		}
		out = append(out, targetNode(p)+"="+hash)
	}
	sort.Strings(out)
	return out
}

// TestReconcile runs reconciles of "agent" on table-driven clusters.
func TestReconcile(t *testing.T) {
	tests := []struct {
		name       string
		ds         *appsv1.DaemonSet
		nodes      []*corev1.Node
		pods       []*corev1.Pod
		want       []string // placement after one reconcile
		wantStatus *appsv1.DaemonSetStatus
	}{
		{
			name: "one pod per node", ds: testSet(), nodes: []*corev1.Node{node("a"), node("b")},
			want:       []string{"a=new", "b=new"},
			wantStatus: &appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, NumberUnavailable: 2, ObservedGeneration: 1},
		},
		{
			name: "node selector", ds: testSet(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"} }),
			nodes:      []*corev1.Node{node("a", labelled("disk", "ssd")), node("b")},
			pods:       []*corev1.Pod{daemonPod("on-b", "b", "old", true)},
			want:       []string{"a=new"},
			wantStatus: &appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, NumberMisscheduled: 1, NumberUnavailable: 1, ObservedGeneration: 1},
		},
		{
			name: "required node affinity",
			ds: testSet(func(ds *appsv1.DaemonSet) {
				ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []*corev1.NodeSelectorTerm{{
						MatchExpressions: []*corev1.NodeSelectorRequirement{{Key: "zone", Operator: "In", Values: []string{"z1"}}}}}}}}
			}),
			nodes: []*corev1.Node{node("a", labelled("zone", "z1")), node("b", labelled("zone", "z2"))},
			want:  []string{"a=new"},
		},
		{
			name: "daemon tolerations and untolerated taints",
			nodes: []*corev1.Node{
				node("notready", tainted(TaintNotReady, "NoExecute")), node("unreachable", tainted(TaintUnreachable, "NoExecute")),
				node("disk", tainted(TaintDiskPressure, "NoSchedule")), node("mem", tainted(TaintMemoryPressure, "NoSchedule")),
				node("pid", tainted(TaintPIDPressure, "NoSchedule")), node("cordoned", tainted(TaintUnschedulable, "NoSchedule")),
				node("nonet", tainted(TaintNetworkUnavailable, "NoSchedule")), node("gpu", tainted("gpu", "NoSchedule")),
				node("evict", tainted("evict", "NoExecute")),
			},
			ds:   testSet(),
			pods: []*corev1.Pod{daemonPod("stays", "gpu", "x", true), daemonPod("goes", "evict", "x", true)},
			want: []string{"cordoned=new", "disk=new", "gpu=x", "mem=new", "notready=new", "pid=new", "unreachable=new"},
		},
		{
			name:  "host network tolerates network-unavailable",
			ds:    testSet(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.HostNetwork = true }),
			nodes: []*corev1.Node{node("nonet", tainted(TaintNetworkUnavailable, "NoSchedule"))},
			want:  []string{"nonet=new"},
		},
		{
			name: "pods of gone nodes, extra and failed pods are deleted", ds: testSet(),
			nodes: []*corev1.Node{node("a"), node("b")},
			pods: func() []*corev1.Pod {
				failed := daemonPod("failed", "b", "x", false)
				failed.Status.Phase = "Failed"
				return []*corev1.Pod{daemonPod("gone", "c", "x", true), daemonPod("a1", "a", "x", true), daemonPod("a2", "a", "x", false), failed}
			}(),
			want: []string{"a=x"},
		},
		{
			name: "rolling update by maxUnavailable", ds: testSet(),
			nodes: []*corev1.Node{node("a"), node("b"), node("c")},
			pods:  []*corev1.Pod{daemonPod("pa", "a", "old", true), daemonPod("pb", "b", "old", true), daemonPod("pc", "c", "old", true)},
			want:  []string{"b=old", "c=old"},
			wantStatus: &appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3,
				NumberAvailable: 3, ObservedGeneration: 1},
		},
		{
			name: "rolling update takes unavailable old pods first", ds: testSet(),
			nodes: []*corev1.Node{node("a"), node("b"), node("c")},
			pods:  []*corev1.Pod{daemonPod("pa", "a", "old", true), daemonPod("pb", "b", "old", false), daemonPod("pc", "c", "old", true)},
			want:  []string{"a=old", "c=old"},
		},
		{
			name: "rolling update by percentage",
			ds: testSet(func(ds *appsv1.DaemonSet) {
				ds.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &metav1.IntOrString{Type: 1, StrVal: "50%"}
			}),
			nodes: []*corev1.Node{node("a"), node("b"), node("c")},
			pods:  []*corev1.Pod{daemonPod("pa", "a", "old", true), daemonPod("pb", "b", "old", true), daemonPod("pc", "c", "old", true)},
			want:  []string{"c=old"},
		},
		{
			name: "OnDelete keeps old pods", ds: testSet(func(ds *appsv1.DaemonSet) { ds.Spec.UpdateStrategy = &appsv1.DaemonSetUpdateStrategy{Type: "OnDelete"} }),
			nodes: []*corev1.Node{node("a"), node("b")},
			pods:  []*corev1.Pod{daemonPod("pa", "a", "old", true)},
			want:  []string{"a=old", "b=new"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []scheme.Object{tt.ds}
			for _, n := range tt.nodes {
				objs = append(objs, n)
			}
			for _, p := range tt.pods {
				objs = append(objs, p)
			}
			h := start(t, objs...)
			h.reconcile(t)
			require.Equal(t, tt.want, h.placement(t, tt.ds))
			if tt.wantStatus != nil {
				got, ok := clienttest.Stored[*appsv1.DaemonSet](h.srv, "default", "agent")
				require.True(t, ok)
				require.Equal(t, tt.wantStatus.String(), got.GetStatus().String())
			}
		})
	}
}

// TestNewPodIsPinnedAndTolerant checks a created pod: pinned to its node by matchFields (the
// template's expressions kept), carrying the daemon tolerations and the template hash.
func TestNewPodIsPinnedAndTolerant(t *testing.T) {
	ds := testSet(func(ds *appsv1.DaemonSet) {
		ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []*corev1.NodeSelectorTerm{{
				MatchExpressions: []*corev1.NodeSelectorRequirement{{Key: "zone", Operator: "In", Values: []string{"z1"}}}}}}}}
		ds.Spec.Template.Spec.Tolerations = []*corev1.Toleration{{Key: TaintNotReady, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: new(int64)}}
	})
	pod := newPod(ds, "a", templateHash(ds))
	terms := pod.GetSpec().GetAffinity().GetNodeAffinity().GetRequiredDuringSchedulingIgnoredDuringExecution().GetNodeSelectorTerms()
	require.Len(t, terms, 1)
	require.Equal(t, "zone", terms[0].GetMatchExpressions()[0].GetKey())
	require.Equal(t, "metadata.name", terms[0].GetMatchFields()[0].GetKey())
	require.Equal(t, []string{"a"}, terms[0].GetMatchFields()[0].GetValues())
	require.Equal(t, "a", targetNode(pod))
	require.Len(t, pod.GetSpec().GetTolerations(), 6, "the template's not-ready toleration is kept, not doubled")
	require.NotNil(t, pod.GetSpec().GetTolerations()[0].TolerationSeconds)
	for _, tol := range pod.GetSpec().GetTolerations()[1:] {
		require.Nil(t, tol.TolerationSeconds, "daemon tolerations last for ever")
	}
	require.Equal(t, templateHash(ds), pod.GetMetadata().GetLabels()[RevisionHashLabel])
	require.Equal(t, "1", pod.GetMetadata().GetLabels()[TemplateGenerationLabel])
	require.Nil(t, ds.GetSpec().GetTemplate().GetSpec().GetAffinity().GetNodeAffinity().GetRequiredDuringSchedulingIgnoredDuringExecution().GetNodeSelectorTerms()[0].GetMatchFields(),
		"the template is not changed")
}
