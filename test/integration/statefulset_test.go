package integration

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// stsLog records, from a watch, the order in which a stateful set's pods were created, became
// ready, started terminating and were removed, as "created web-0", "ready web-0", ….
type stsLog struct {
	mu      sync.Mutex
	entries []string
	seen    map[string]string // last state per pod
}

func watchStatefulPods(t *testing.T, c *client.Client, app string) *stsLog {
	t.Helper()
	w, err := c.Pods("default").Watch(testContext(t), client.ListOptions{LabelSelector: "app=" + app})
	require.NoError(t, err)
	l := &stsLog{seen: map[string]string{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			p := ev.Object
			state := "created"
			switch {
			case ev.Type == client.Deleted:
				state = "removed"
			case p.GetMetadata().GetDeletionTimestamp() != nil:
				state = "terminating"
			case podIsReady(p):
				state = "ready"
			}
			name := p.GetMetadata().GetName()
			l.mu.Lock()
			prev := l.seen[name]
			// A pod is "created" once: a later event that is neither ready nor terminating (a
			// pod going unready) is no new entry.
			again := state == "created" && prev != "" && prev != "removed"
			if prev != state && !again {
				l.seen[name] = state
				l.entries = append(l.entries, state+" "+name)
			}
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return l
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}

// index returns the position of entry in the log, or -1.
func (l *stsLog) index(entry string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.entries, entry)
}

func (l *stsLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprint(l.entries)
}

// TestStatefulSetCreatesAndRemovesInOrder runs a stateful set of three on a hollow node under the
// real controller manager and scheduler: pods are created one at a time, each after the one before
// it is ready, and a scale down to one removes web-2 before it starts on web-1. An image change
// with a partition of one then replaces only the pods at or above it, highest first.
func TestStatefulSetCreatesAndRemovesInOrder(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c, ctx := cl.Client(), testContext(t)
	framework.StartScheduler(t, cl.Endpoints(), nil)
	framework.StartKubelet(t, cl, framework.KubeletOptions{NodeName: "sts-node", Runtime: kubeletserver.RuntimeHollow})
	startControllerManager(t, cl)
	log := watchStatefulPods(t, c, "ordered")

	replicas := int32(3)
	labels := map[string]string{"app": "ordered"}
	_, err := c.StatefulSets("default").Create(ctx, &appsv1.StatefulSet{
		Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: "web", Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: labels},
				Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "img:1", Command: []string{"sleep", "3600"}}}},
			},
		},
	})
	require.NoError(t, err)
	readyReplicas := func(n int32) func() bool {
		return func() bool {
			s, err := c.StatefulSets("default").Get(ctx, "web")
			return err == nil && s.GetStatus().GetReadyReplicas() == n && s.GetStatus().GetReplicas() == n
		}
	}
	framework.Eventually(t, 60*time.Second, readyReplicas(3), "three ready replicas; pods: %v", log)
	for _, pair := range [][2]string{{"ready web-0", "created web-1"}, {"ready web-1", "created web-2"}} {
		before, after := log.index(pair[0]), log.index(pair[1])
		require.True(t, before >= 0 && after > before, "%q before %q in %v", pair[0], pair[1], log)
	}
	p, err := c.Pods("default").Get(ctx, "web-1")
	require.NoError(t, err)
	require.Equal(t, "web-1", p.GetSpec().GetHostname())
	require.Equal(t, "web", p.GetSpec().GetSubdomain())

	s, err := c.StatefulSets("default").Get(ctx, "web")
	require.NoError(t, err)
	one := int32(1)
	s.Spec.Replicas = &one
	_, err = c.StatefulSets("default").Update(ctx, s)
	require.NoError(t, err)
	framework.Eventually(t, 60*time.Second, readyReplicas(1), "scaled down to one; pods: %v", log)
	removed2, terminating1 := log.index("removed web-2"), log.index("terminating web-1")
	require.True(t, removed2 >= 0 && terminating1 > removed2, "web-2 gone before web-1 is deleted: %v", log)

	// A partitioned rolling update: scale to three again, change the image with partition 1.
	s, err = c.StatefulSets("default").Get(ctx, "web")
	require.NoError(t, err)
	s.Spec.Replicas = &replicas
	_, err = c.StatefulSets("default").Update(ctx, s)
	require.NoError(t, err)
	framework.Eventually(t, 60*time.Second, readyReplicas(3), "back to three; pods: %v", log)
	s, err = c.StatefulSets("default").Get(ctx, "web")
	require.NoError(t, err)
	oldRevision := s.GetStatus().GetUpdateRevision()
	s.Spec.Template.Spec.Containers[0].Image = "img:2"
	part := int32(1)
	s.Spec.UpdateStrategy = &appsv1.StatefulSetUpdateStrategy{Type: "RollingUpdate",
		RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: &part}}
	_, err = c.StatefulSets("default").Update(ctx, s)
	require.NoError(t, err)
	framework.Eventually(t, 60*time.Second, func() bool {
		s, err := c.StatefulSets("default").Get(ctx, "web")
		return err == nil && s.GetStatus().GetUpdatedReplicas() == 2 && s.GetStatus().GetReadyReplicas() == 3
	}, "two pods updated; pods: %v", log)
	images := map[string]string{}
	for _, n := range []string{"web-0", "web-1", "web-2"} {
		p, err := c.Pods("default").Get(ctx, n)
		require.NoError(t, err)
		images[n] = p.GetSpec().GetContainers()[0].GetImage()
	}
	require.Equal(t, map[string]string{"web-0": "img:1", "web-1": "img:2", "web-2": "img:2"}, images)
	s, err = c.StatefulSets("default").Get(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, oldRevision, s.GetStatus().GetCurrentRevision(), "web-0 still runs the current revision")

	revs, err := c.ControllerRevisions("default").List(context.Background(), client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, revs.Items, 2, "one revision per template")
}
