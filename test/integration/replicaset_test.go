package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// podTracker follows the pods a selector matches through one watch: which were ever created,
// which live (exist and are not being deleted), and how many were deleted.
type podTracker struct {
	mu      sync.Mutex
	live    map[string]*corev1.Pod
	added   map[string]bool
	deleted int
}

func trackPods(t *testing.T, c *client.Client, selector string) *podTracker {
	t.Helper()
	w, err := c.Pods("default").Watch(testContext(t), client.ListOptions{LabelSelector: selector})
	require.NoError(t, err)
	tr := &podTracker{live: map[string]*corev1.Pod{}, added: map[string]bool{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			name := ev.Object.GetMetadata().GetName()
			tr.mu.Lock()
			switch ev.Type {
			case client.Added, client.Modified:
				tr.added[name] = true
				if ev.Object.GetMetadata().GetDeletionTimestamp() == nil {
					tr.live[name] = ev.Object
				} else {
					delete(tr.live, name)
				}
			case client.Deleted:
				delete(tr.live, name)
				tr.deleted++
			}
			tr.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		w.Stop()
		<-done
	})
	return tr
}

// counts returns the live pods, the pods ever created and the deletes seen.
func (tr *podTracker) counts() (live, added, deleted int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.live), len(tr.added), tr.deleted
}

// liveNames returns the names of the live pods.
func (tr *podTracker) liveNames() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for n := range tr.live {
		out = append(out, n)
	}
	return out
}

// workload is a ReplicaSet or a ReplicationController named "web", seen the same way by the tests.
type workload struct {
	kind   string
	create func(ctx context.Context, replicas int32) error
	scale  func(ctx context.Context, replicas int32) error
	// status returns the status and the generation of the workload.
	status func(ctx context.Context) (*appsv1.ReplicaSetStatus, int64, error)
}

func replicaSetWorkload(c *client.Client, podLabels map[string]string) workload {
	rss := c.ReplicaSets("default")
	return workload{
		kind: "ReplicaSet",
		create: func(ctx context.Context, replicas int32) error {
			_, err := rss.Create(ctx, &appsv1.ReplicaSet{
				Metadata: &metav1.ObjectMeta{Name: "web"},
				Spec:     &appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector(podLabels), Template: template(podLabels, "Always")},
			})
			return err
		},
		scale: func(ctx context.Context, replicas int32) error { return scaleTo(ctx, rss, replicas) },
		status: func(ctx context.Context) (*appsv1.ReplicaSetStatus, int64, error) {
			rs, err := rss.Get(ctx, "web")
			return rs.GetStatus(), rs.GetMetadata().GetGeneration(), err
		},
	}
}

func rcWorkload(c *client.Client, podLabels map[string]string) workload {
	rcs := c.ReplicationControllers("default")
	return workload{
		kind: "ReplicationController",
		create: func(ctx context.Context, replicas int32) error {
			_, err := rcs.Create(ctx, &corev1.ReplicationController{
				Metadata: &metav1.ObjectMeta{Name: "web"},
				Spec:     &corev1.ReplicationControllerSpec{Replicas: &replicas, Selector: podLabels, Template: template(podLabels, "Always")},
			})
			return err
		},
		scale: func(ctx context.Context, replicas int32) error { return scaleTo(ctx, rcs, replicas) },
		status: func(ctx context.Context) (*appsv1.ReplicaSetStatus, int64, error) {
			rc, err := rcs.Get(ctx, "web")
			st := rc.GetStatus()
			return &appsv1.ReplicaSetStatus{
				Replicas: st.GetReplicas(), ReadyReplicas: st.GetReadyReplicas(), AvailableReplicas: st.GetAvailableReplicas(),
				FullyLabeledReplicas: st.GetFullyLabeledReplicas(), ObservedGeneration: st.GetObservedGeneration(),
			}, rc.GetMetadata().GetGeneration(), err
		},
	}
}

// scaleTo sets the replicas of "web" through the scale subresource, as kubectl scale does.
func scaleTo[T scheme.Object](ctx context.Context, r *client.Resource[T], replicas int32) error {
	sc, err := r.GetScale(ctx, "web")
	if err != nil {
		return err
	}
	sc.Spec.Replicas = replicas
	sc.Metadata.ResourceVersion = "" // the status writes of the controller must not conflict with this
	_, err = r.UpdateScale(ctx, sc)
	return err
}

// converged waits until the workload has exactly n live pods and its status says so for its
// current generation.
func converged(t *testing.T, w workload, tr *podTracker, n int, timeout time.Duration) {
	t.Helper()
	ctx := testContext(t)
	framework.Eventually(t, timeout, func() bool {
		live, _, _ := tr.counts()
		if live != n {
			return false
		}
		st, gen, err := w.status(ctx)
		return err == nil && st.GetObservedGeneration() == gen && st.GetReplicas() == int32(n)
	}, "%s web has exactly %d pods and says so", w.kind, n)
}

// scenario is a cluster with a controller manager, and a workload "web" of replicas pods
// labelled app=<app> whose pods a tracker follows from before the workload exists.
type scenario struct {
	cl  *framework.Cluster
	c   *client.Client
	ctx context.Context
	tr  *podTracker
	w   workload
	cm  *framework.ControllerManager
}

func startScenario(t *testing.T, newWorkload func(*client.Client, map[string]string) workload, app string, replicas int32) *scenario {
	t.Helper()
	s := &scenario{cl: framework.StartCluster(t, framework.Options{}), ctx: testContext(t)}
	s.c = s.cl.Client()
	podLabels := map[string]string{"app": app}
	s.tr = trackPods(t, s.c, labels.Set(podLabels).String())
	s.cm = startControllerManager(t, s.cl)
	s.w = newWorkload(s.c, podLabels)
	require.NoError(t, s.w.create(s.ctx, replicas))
	return s
}

func startControllerManager(t *testing.T, cl *framework.Cluster) *framework.ControllerManager {
	t.Helper()
	return framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
	})
}

// TestReplicaSetReplacesDeletedPodAndReportsReadiness deletes a pod of a ReplicaSet of three:
// another replaces it. Pods made ready (there is no kubelet: the test writes their status) show in
// readyReplicas and availableReplicas, and the creates are recorded as events.
func TestReplicaSetReplacesDeletedPodAndReportsReadiness(t *testing.T) {
	s := startScenario(t, replicaSetWorkload, "replaced", 3)
	c, ctx, tr, w := s.c, s.ctx, s.tr, s.w
	converged(t, w, tr, 3, 30*time.Second)

	victim := tr.liveNames()[0]
	require.NoError(t, c.Pods("default").Delete(ctx, victim))
	framework.Eventually(t, 30*time.Second, func() bool {
		live, added, deleted := tr.counts()
		return live == 3 && added == 4 && deleted == 1
	}, "the deleted pod is replaced")
	converged(t, w, tr, 3, 30*time.Second)
	require.NotContains(t, tr.liveNames(), victim)
	_, added, _ := tr.counts()
	require.Equal(t, 4, added, "exactly one replacement")

	for _, name := range tr.liveNames()[:2] {
		p, err := c.Pods("default").Get(ctx, name)
		require.NoError(t, err)
		p.Status = &corev1.PodStatus{Phase: "Running", Conditions: []*corev1.PodCondition{{Type: "Ready", Status: "True"}}}
		_, err = c.Pods("default").UpdateStatus(ctx, p)
		require.NoError(t, err)
	}
	framework.Eventually(t, 30*time.Second, func() bool {
		st, _, err := w.status(ctx)
		return err == nil && st.GetReadyReplicas() == 2 && st.GetAvailableReplicas() == 2 && st.GetFullyLabeledReplicas() == 3
	}, "status counts the two ready pods")

	framework.Eventually(t, 30*time.Second, func() bool {
		evs, err := c.Events("default").List(ctx, client.ListOptions{})
		if err != nil {
			return false
		}
		created := 0
		for _, ev := range evs.Items {
			if ev.GetReason() == "SuccessfulCreate" && ev.GetSource().GetComponent() == "replicaset-controller" &&
				ev.GetInvolvedObject().GetName() == "web" {
				created += int(ev.GetCount())
			}
		}
		return created == 4
	}, "four SuccessfulCreate events from replicaset-controller")
}

// TestReplicaSetScalesExactly scales 3 -> 10 -> 2: every step converges to exactly that many
// pods, with no create or delete beyond what the steps need.
func TestReplicaSetScalesExactly(t *testing.T) {
	s := startScenario(t, replicaSetWorkload, "scaled", 3)
	ctx, tr, w := s.ctx, s.tr, s.w
	converged(t, w, tr, 3, 30*time.Second)
	require.NoError(t, w.scale(ctx, 10))
	converged(t, w, tr, 10, 30*time.Second)
	require.NoError(t, w.scale(ctx, 2))
	converged(t, w, tr, 2, 30*time.Second)
	_, added, deleted := tr.counts()
	require.Equal(t, 10, added, "no pod beyond the ten asked for")
	require.Equal(t, 8, deleted)
}

// TestScaleUpSurvivesControllerManagerRestart stops the controller manager in the middle of a
// scale-up to 500 and starts another: the workload ends with exactly 500 pods, none created twice
// and none deleted, for a ReplicaSet and for a ReplicationController.
func TestScaleUpSurvivesControllerManagerRestart(t *testing.T) {
	const replicas = 500
	tests := []struct {
		name string
		make func(*client.Client, map[string]string) workload
	}{
		{name: "ReplicaSet", make: replicaSetWorkload},
		{name: "ReplicationController", make: rcWorkload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startScenario(t, tt.make, "restart", replicas)
			tr, w := s.tr, s.w
			framework.Eventually(t, 60*time.Second, func() bool { _, added, _ := tr.counts(); return added >= 50 }, "the scale-up is under way")
			require.NoError(t, s.cm.Stop())
			_, atStop, _ := tr.counts()
			t.Logf("%d of %d pods created when the first controller manager stopped", atStop, replicas)

			startControllerManager(t, s.cl)
			converged(t, w, tr, replicas, 120*time.Second)
			_, added, deleted := tr.counts()
			require.Equal(t, replicas, added, "no pod was created twice")
			require.Zero(t, deleted, "no surplus had to be deleted")
		})
	}
}
