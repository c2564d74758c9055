package integration

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// ownerChain is a tree of owned objects whose top owner a test deletes: today a ReplicaSet and
// its pods (a Deployment on top adds a level). deleteTop deletes the top owner with a
// propagation policy; topGone reports whether it has left storage; owned are the objects under
// it, each "resource/name", as the test saw them before the delete.
type ownerChain struct {
	pods      *podTracker
	owned     []string
	deleteTop func(ctx context.Context, policy string) error
	topGone   func(ctx context.Context) (bool, error)
	// topDeletedAt is the revision at which the top owner left storage, once it has.
	topDeletedAt func() int64
}

// replicaSetChain creates ReplicaSet name with replicas pods labelled app=name and waits until the
// ReplicaSet controller has made them, each owned by it.
func replicaSetChain(t *testing.T, c *client.Client, name string, replicas int32) *ownerChain {
	t.Helper()
	ctx := testContext(t)
	podLabels := map[string]string{"app": name}
	tr := trackPods(t, c, labels.Set(podLabels).String())
	rss := c.ReplicaSets("default")
	deletedAt := watchDeletion(t, c, name)
	rs, err := rss.Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec:     &appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector(podLabels), Template: template(podLabels, "Always")},
	})
	require.NoError(t, err)
	framework.Eventually(t, 30*time.Second, func() bool {
		live, _, _ := tr.counts()
		return live == int(replicas)
	}, "ReplicaSet %s has %d pods", name, replicas)
	pods, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: labels.Set(podLabels).String()})
	require.NoError(t, err)
	ch := &ownerChain{pods: tr, topDeletedAt: deletedAt}
	for _, p := range pods.Items {
		refs := p.GetMetadata().GetOwnerReferences()
		require.Len(t, refs, 1, "pod %s is owned by the ReplicaSet", p.GetMetadata().GetName())
		require.Equal(t, rs.GetMetadata().GetUid(), refs[0].GetUid())
		require.True(t, refs[0].GetBlockOwnerDeletion())
		ch.owned = append(ch.owned, "pods/"+p.GetMetadata().GetName())
	}
	ch.deleteTop = func(ctx context.Context, policy string) error {
		return rss.Delete(ctx, name, client.DeleteOptions{PropagationPolicy: policy})
	}
	ch.topGone = func(ctx context.Context) (bool, error) {
		_, err := rss.Get(ctx, name)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	return ch
}

// watchDeletion follows ReplicaSet name from a watch and returns a function that reports the
// revision at which it was deleted (0 until it has been).
func watchDeletion(t *testing.T, c *client.Client, name string) func() int64 {
	t.Helper()
	w, err := c.ReplicaSets("default").Watch(testContext(t), client.ListOptions{FieldSelector: "metadata.name=" + name})
	require.NoError(t, err)
	var mu sync.Mutex
	var rev int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			if ev.Type == client.Deleted {
				r, _ := strconv.ParseInt(ev.Object.GetMetadata().GetResourceVersion(), 10, 64)
				mu.Lock()
				rev = r
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		w.Stop()
		<-done
	})
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return rev
	}
}

// TestGarbageCollectorPropagation deletes a ReplicaSet with each propagation policy under the
// in-process ReplicaSet controller and garbage collector: Background removes the owner at once
// and the pods after it, Foreground removes the pods before the owner, Orphan leaves the pods,
// freed of their owner reference.
func TestGarbageCollectorPropagation(t *testing.T) {
	for _, policy := range []string{client.DeleteBackground, client.DeleteForeground, client.DeleteOrphan} {
		t.Run(policy, func(t *testing.T) {
			cl := framework.StartCluster(t, framework.Options{})
			startControllers(t, cl, harness.ReplicaSet(2), harness.GarbageCollector)
			c := cl.Client()
			ctx := testContext(t)
			name := "gc-" + map[string]string{client.DeleteBackground: "bg", client.DeleteForeground: "fg", client.DeleteOrphan: "orphan"}[policy]
			ch := replicaSetChain(t, c, name, 3)
			deletions := deletedRevisions(t, c.Pods("default"), "app="+name)

			require.NoError(t, ch.deleteTop(ctx, policy))
			switch policy {
			case client.DeleteBackground:
				gone, err := ch.topGone(ctx)
				require.NoError(t, err)
				require.True(t, gone, "a background delete removes the owner at once")
				framework.Eventually(t, 30*time.Second, func() bool {
					live, _, _ := ch.pods.counts()
					return live == 0 && len(deletions()) == len(ch.owned)
				}, "the pods follow their owner")
			case client.DeleteForeground:
				framework.Eventually(t, 30*time.Second, func() bool { return ch.topDeletedAt() > 0 },
					"the owner goes once its pods have")
				revs := deletions()
				require.Len(t, revs, len(ch.owned), "every pod was deleted")
				for _, r := range revs {
					require.Less(t, r, ch.topDeletedAt(), "a pod was deleted after its foreground-deleted owner")
				}
			case client.DeleteOrphan:
				framework.Eventually(t, 30*time.Second, func() bool {
					gone, err := ch.topGone(ctx)
					return err == nil && gone
				}, "the owner goes once its pods are orphaned")
				for _, o := range ch.owned {
					p, err := c.Pods("default").Get(ctx, o[len("pods/"):])
					require.NoError(t, err, "orphaned pod %s stays", o)
					require.Empty(t, p.GetMetadata().GetOwnerReferences(), "pod %s no longer names its owner", o)
					require.Nil(t, p.GetMetadata().GetDeletionTimestamp())
				}
				require.Empty(t, deletions())
			}
		})
	}
}

// TestGarbageCollectorCollectsDanglingDependentsAtStart deletes a ReplicaSet while no garbage
// collector runs, leaving its pods dangling, then starts one: it finds and deletes them, and
// keeps the pods of a ReplicaSet that still exists.
func TestGarbageCollectorCollectsDanglingDependentsAtStart(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	rsController := startControllers(t, cl, harness.ReplicaSet(2))
	dangling := replicaSetChain(t, c, "gc-dangling", 2)
	kept := replicaSetChain(t, c, "gc-kept", 2)
	// The ReplicaSet controller stops too, so nothing but the collector acts from here on.
	require.NoError(t, rsController.Stop())

	require.NoError(t, dangling.deleteTop(ctx, client.DeleteBackground))
	gone, err := dangling.topGone(ctx)
	require.NoError(t, err)
	require.True(t, gone)
	for _, o := range dangling.owned {
		_, err := c.Pods("default").Get(ctx, o[len("pods/"):])
		require.NoError(t, err, "with no collector running, pod %s dangles", o)
	}

	startControllers(t, cl, harness.GarbageCollector)
	framework.Eventually(t, 30*time.Second, func() bool {
		live, _, _ := dangling.pods.counts()
		return live == 0
	}, "the collector deletes the dangling pods")
	live, _, deleted := kept.pods.counts()
	require.Equal(t, 2, live, "the pods of the live ReplicaSet stay")
	require.Zero(t, deleted)
}

// deletedRevisions records the revision of every deletion a watch of res (objects selector picks)
// sees.
func deletedRevisions[T scheme.Object](t *testing.T, res *client.Resource[T], selector string) func() []int64 {
	t.Helper()
	w, err := res.Watch(testContext(t), client.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	var mu sync.Mutex
	var revs []int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			if ev.Type == client.Deleted {
				r, _ := strconv.ParseInt(ev.Object.GetMetadata().GetResourceVersion(), 10, 64)
				mu.Lock()
				revs = append(revs, r)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(revs)
	}
}

// TestGarbageCollectorRemovesADeploymentsReplicaSetsAndPods deletes a Deployment of three with
// each propagation policy under the in-process Deployment, ReplicaSet and garbage collector
// controllers: Background removes the Deployment at once and its ReplicaSet and pods after it;
// Foreground removes the pods, then the ReplicaSet, then the Deployment; Orphan leaves the
// ReplicaSet, freed of its owner, still running its pods.
func TestGarbageCollectorRemovesADeploymentsReplicaSetsAndPods(t *testing.T) {
	for _, policy := range []string{client.DeleteBackground, client.DeleteForeground, client.DeleteOrphan} {
		t.Run(policy, func(t *testing.T) {
			cl := framework.StartCluster(t, framework.Options{})
			startControllers(t, cl, harness.Deployments, harness.ReplicaSet(2), harness.GarbageCollector)
			c, ctx := cl.Client(), testContext(t)
			name := "gcd-" + map[string]string{client.DeleteBackground: "bg", client.DeleteForeground: "fg", client.DeleteOrphan: "orphan"}[policy]
			sel := "app=" + name
			podLabels := map[string]string{"app": name}
			replicas := int32(3)
			deployDeleted := deletedRevisions(t, c.Deployments("default"), sel)
			rsDeleted := deletedRevisions(t, c.ReplicaSets("default"), sel)
			podsDeleted := deletedRevisions(t, c.Pods("default"), sel)
			_, err := c.Deployments("default").Create(ctx, &appsv1.Deployment{
				Metadata: &metav1.ObjectMeta{Name: name, Labels: podLabels},
				Spec:     &appsv1.DeploymentSpec{Replicas: &replicas, Selector: selector(podLabels), Template: template(podLabels, "Always")},
			})
			require.NoError(t, err)
			list := func() (rss []*appsv1.ReplicaSet, pods int) {
				rl, err := c.ReplicaSets("default").List(ctx, client.ListOptions{LabelSelector: sel})
				require.NoError(t, err)
				pl, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: sel})
				require.NoError(t, err)
				return rl.Items, len(pl.Items)
			}
			framework.Eventually(t, 30*time.Second, func() bool { rss, pods := list(); return len(rss) == 1 && pods == 3 },
				"the Deployment has one ReplicaSet and three pods")

			require.NoError(t, c.Deployments("default").Delete(ctx, name, client.DeleteOptions{PropagationPolicy: policy}))
			switch policy {
			case client.DeleteBackground:
				_, err := c.Deployments("default").Get(ctx, name)
				require.True(t, apierrors.IsNotFound(err), "a background delete removes the owner at once")
				framework.Eventually(t, 30*time.Second, func() bool { rss, pods := list(); return len(rss) == 0 && pods == 0 },
					"the ReplicaSet and the pods follow the Deployment")
			case client.DeleteForeground:
				framework.Eventually(t, 30*time.Second, func() bool { return len(deployDeleted()) == 1 },
					"the Deployment goes once its dependents have")
				rss, pods := list()
				require.Empty(t, rss)
				require.Zero(t, pods)
				top := deployDeleted()[0]
				require.Len(t, rsDeleted(), 1)
				require.Less(t, rsDeleted()[0], top, "the ReplicaSet went before the Deployment")
				require.Len(t, podsDeleted(), 3)
				for _, r := range podsDeleted() {
					require.Less(t, r, rsDeleted()[0], "a pod went after its foreground-deleted ReplicaSet")
				}
			case client.DeleteOrphan:
				framework.Eventually(t, 30*time.Second, func() bool { return len(deployDeleted()) == 1 },
					"the Deployment goes once its ReplicaSet is orphaned")
				rss, pods := list()
				require.Len(t, rss, 1, "the orphaned ReplicaSet stays")
				require.Empty(t, rss[0].GetMetadata().GetOwnerReferences(), "it no longer names the Deployment")
				require.Equal(t, 3, pods, "and keeps its pods")
				require.Empty(t, podsDeleted())
			}
		})
	}
}
