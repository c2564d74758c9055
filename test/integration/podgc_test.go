package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestPodGC runs the pod garbage collector with a threshold of three terminated pods: of five
// terminated pods the two oldest go and the running one stays; the pods bound to a node that is
// deleted go once its quarantine has passed.
func TestPodGC(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c, ctx := cl.Client(), testContext(t)
	for _, name := range []string{"kept", "ghost"} {
		_, err := c.Nodes().Create(ctx, &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name}})
		require.NoError(t, err)
	}
	mkPod := func(name, node string) {
		_, err := c.Pods("default").Create(ctx, &corev1.Pod{
			Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "gc"}},
			Spec:     podSpec("busybox:1.36"),
		})
		require.NoError(t, err)
		require.NoError(t, c.Pods("default").Bind(ctx, name, node))
	}
	// Terminated pods, oldest first: creation timestamps have a one-second resolution, so each
	// waits for the next second.
	var created []time.Time
	for i := range 5 {
		if i > 0 {
			framework.Eventually(t, 5*time.Second, func() bool { return time.Now().Truncate(time.Second).After(created[i-1]) }, "next second")
		}
		name := fmt.Sprintf("done-%d", i)
		mkPod(name, "kept")
		p, err := c.Pods("default").Get(ctx, name)
		require.NoError(t, err)
		created = append(created, p.GetMetadata().GetCreationTimestamp().AsTime())
		p.Status = &corev1.PodStatus{Phase: "Succeeded"}
		_, err = c.Pods("default").UpdateStatus(ctx, p)
		require.NoError(t, err)
	}
	mkPod("running", "kept")
	mkPod("orphan-a", "ghost")
	mkPod("orphan-b", "ghost")

	startControllers(t, cl, harness.PodGC(harness.PodGCOptions{
		TerminatedPodThreshold: 3, CheckPeriod: 200 * time.Millisecond, Quarantine: time.Second,
	}))
	names := func() map[string]bool {
		list, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "app=gc"})
		if err != nil {
			return nil
		}
		out := map[string]bool{}
		for _, p := range list.Items {
			out[p.GetMetadata().GetName()] = true
		}
		return out
	}
	framework.Eventually(t, 30*time.Second, func() bool {
		n := names()
		return len(n) == 6 && !n["done-0"] && !n["done-1"]
	}, "the two oldest terminated pods are collected")
	require.Equal(t, map[string]bool{"done-2": true, "done-3": true, "done-4": true, "running": true, "orphan-a": true, "orphan-b": true}, names())

	require.NoError(t, c.Nodes().Delete(ctx, "ghost"))
	framework.Eventually(t, 30*time.Second, func() bool {
		n := names()
		return len(n) == 4 && !n["orphan-a"] && !n["orphan-b"]
	}, "the pods of the deleted node are collected")
	require.Equal(t, map[string]bool{"done-2": true, "done-3": true, "done-4": true, "running": true}, names())
}
