package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// The annotation and label the Deployment controller writes, as Kubernetes names them.
const (
	revisionAnnotation = "deployment.kubernetes.io/revision"
	podTemplateHash    = "pod-template-hash"
)

// rolloutBounds follows the pods and ReplicaSets of one Deployment through two watches and,
// while armed, checks on every event that the live pods (not being deleted) stay within
// replicas+maxSurge, the ready live pods at or above replicas-maxUnavailable, and the
// ReplicaSets' replicas within replicas+maxSurge.
type rolloutBounds struct {
	maxPods, minReady int

	mu         sync.Mutex
	armed      bool
	pods       map[string]*corev1.Pod
	rss        map[string]*appsv1.ReplicaSet
	violations []string
	events     int // events seen while armed
}

func watchRollout(t *testing.T, c *client.Client, app string, maxPods, minReady int) *rolloutBounds {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sel := client.ListOptions{LabelSelector: "app=" + app}
	pw, err := c.Pods("default").Watch(ctx, sel)
	require.NoError(t, err)
	rw, err := c.ReplicaSets("default").Watch(ctx, sel)
	require.NoError(t, err)
	b := &rolloutBounds{maxPods: maxPods, minReady: minReady, pods: map[string]*corev1.Pod{}, rss: map[string]*appsv1.ReplicaSet{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range pw.Events() {
			b.mu.Lock()
			name := ev.Object.GetMetadata().GetName()
			if ev.Type == client.Deleted || ev.Object.GetMetadata().GetDeletionTimestamp() != nil {
				delete(b.pods, name)
			} else if ev.Type == client.Added || ev.Type == client.Modified {
				b.pods[name] = ev.Object
			}
			b.checkLocked(fmt.Sprintf("pod %s %s", ev.Type, name))
			b.mu.Unlock()
		}
	})
	wg.Go(func() {
		for ev := range rw.Events() {
			b.mu.Lock()
			name := ev.Object.GetMetadata().GetName()
			switch ev.Type {
			case client.Deleted:
				delete(b.rss, name)
			case client.Added, client.Modified:
				b.rss[name] = ev.Object
			}
			b.checkLocked(fmt.Sprintf("replicaset %s %s", ev.Type, name))
			b.mu.Unlock()
		}
	})
	t.Cleanup(func() {
		cancel()
		pw.Stop()
		rw.Stop()
		wg.Wait()
	})
	return b
}

func (b *rolloutBounds) checkLocked(what string) {
	if !b.armed {
		return
	}
	b.events++
	ready := 0
	for _, p := range b.pods {
		if podReady(p) {
			ready++
		}
	}
	var replicas int32
	for _, rs := range b.rss {
		replicas += rs.GetSpec().GetReplicas()
	}
	if len(b.pods) > b.maxPods {
		b.violations = append(b.violations, fmt.Sprintf("after %s: %d live pods, more than %d", what, len(b.pods), b.maxPods))
	}
	if ready < b.minReady {
		b.violations = append(b.violations, fmt.Sprintf("after %s: %d ready pods, fewer than %d", what, ready, b.minReady))
	}
	if int(replicas) > b.maxPods {
		b.violations = append(b.violations, fmt.Sprintf("after %s: replica sets ask for %d pods, more than %d", what, replicas, b.maxPods))
	}
}

// arm starts checking, after checking the state the watches hold now.
func (b *rolloutBounds) arm() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed, b.events = true, 0
	b.checkLocked("arming")
}

// disarm stops checking and returns the violations and how many events were checked.
func (b *rolloutBounds) disarm() ([]string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	v := b.violations
	b.violations = nil
	return v, b.events
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}

// deploymentCondition returns d's condition of type ct, or nil.
func deploymentCondition(d *appsv1.Deployment, ct string) *appsv1.DeploymentCondition {
	for _, c := range d.GetStatus().GetConditions() {
		if c.GetType() == ct {
			return c
		}
	}
	return nil
}

// deploymentEnv is a cluster with one hollow node, the ReplicaSet and Deployment controllers of a
// controller manager, and helpers over the Deployments of the default namespace.
type deploymentEnv struct {
	c    *client.Client
	ctx  context.Context
	node string
}

func startDeploymentEnv(t *testing.T) *deploymentEnv {
	t.Helper()
	cl := framework.StartCluster(t, framework.Options{})
	k := framework.StartKubelet(t, cl, framework.KubeletOptions{Runtime: "hollow"})
	framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
		cfg.Controllers.Controllers = []string{"replicaset", "deployment"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return &deploymentEnv{c: cl.Client(), ctx: ctx, node: k.Server.NodeName()}
}

// create creates Deployment name of replicas pods labelled app=name running image on the hollow
// node, rolling with maxSurge and maxUnavailable.
func (e *deploymentEnv) create(t *testing.T, name, image string, replicas int32, surge, unavailable int32, deadline int32) {
	t.Helper()
	_, err := e.c.Deployments("default").Create(e.ctx, &appsv1.Deployment{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &appsv1.DeploymentSpec{
			Replicas: proto.Int32(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:     &corev1.PodSpec{NodeName: e.node, Containers: []*corev1.Container{{Name: "app", Image: image}}},
			},
			Strategy: &appsv1.DeploymentStrategy{Type: "RollingUpdate", RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxSurge: &metav1.IntOrString{IntVal: surge}, MaxUnavailable: &metav1.IntOrString{IntVal: unavailable},
			}},
			ProgressDeadlineSeconds: proto.Int32(deadline),
		},
	})
	require.NoError(t, err)
}

// update changes Deployment name with mutate, retrying on conflicts.
func (e *deploymentEnv) update(t *testing.T, name string, mutate func(*appsv1.Deployment)) {
	t.Helper()
	framework.Eventually(t, 30*time.Second, func() bool {
		d, err := e.c.Deployments("default").Get(e.ctx, name)
		if err != nil {
			return false
		}
		mutate(d)
		_, err = e.c.Deployments("default").Update(e.ctx, d)
		return err == nil
	}, "update deployment %s", name)
}

func (e *deploymentEnv) get(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d, err := e.c.Deployments("default").Get(e.ctx, name)
	require.NoError(t, err)
	return d
}

// rolledOut waits until Deployment name runs exactly replicas live pods, all ready and of image,
// and its status says the rollout of its current generation is complete, as `kubectl rollout
// status` reads it.
func (e *deploymentEnv) rolledOut(t *testing.T, name, image string, replicas int32) {
	t.Helper()
	framework.Eventually(t, 60*time.Second, func() bool {
		d, err := e.c.Deployments("default").Get(e.ctx, name)
		if err != nil {
			return false
		}
		st := d.GetStatus()
		cond := deploymentCondition(d, "Progressing")
		if st.GetObservedGeneration() < d.GetMetadata().GetGeneration() || st.GetUpdatedReplicas() != replicas ||
			st.GetReplicas() != replicas || st.GetAvailableReplicas() != replicas || cond.GetReason() != "NewReplicaSetAvailable" {
			return false
		}
		pods, err := e.c.Pods("default").List(e.ctx, client.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return false
		}
		live := 0
		for _, p := range pods.Items {
			if p.GetMetadata().GetDeletionTimestamp() != nil {
				continue
			}
			if p.GetSpec().GetContainers()[0].GetImage() != image || !podReady(p) {
				return false
			}
			live++
		}
		return live == int(replicas)
	}, "deployment %s rolled out %d pods of %s", name, replicas, image)
}

// replicaSets returns the ReplicaSets of app by name.
func (e *deploymentEnv) replicaSets(t *testing.T, app string) map[string]*appsv1.ReplicaSet {
	t.Helper()
	list, err := e.c.ReplicaSets("default").List(e.ctx, client.ListOptions{LabelSelector: "app=" + app})
	require.NoError(t, err)
	out := map[string]*appsv1.ReplicaSet{}
	for _, rs := range list.Items {
		out[rs.GetMetadata().GetName()] = rs
	}
	return out
}

// setImage is a mutation that sets the image of the first container, as kubectl set image does.
func setImage(image string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image }
}

// undo rolls Deployment name back to the template of revision rev as `kubectl rollout undo
// --to-revision` does, client-side: it finds the ReplicaSet of that revision and replaces the
// Deployment's template with the ReplicaSet's, without the pod-template-hash label, through a
// JSON patch.
func (e *deploymentEnv) undo(t *testing.T, name string, rev int) {
	t.Helper()
	var tmpl *corev1.PodTemplateSpec
	for _, rs := range e.replicaSets(t, name) {
		if rs.GetMetadata().GetAnnotations()[revisionAnnotation] == strconv.Itoa(rev) {
			tmpl = rs.GetSpec().GetTemplate().CloneVT()
		}
	}
	require.NotNil(t, tmpl, "a replica set of revision %d", rev)
	delete(tmpl.Metadata.Labels, podTemplateHash)
	value, err := kubejson.MessageToMap(tmpl)
	require.NoError(t, err)
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec/template", "value": value}})
	require.NoError(t, err)
	_, err = e.c.Deployments("default").Patch(e.ctx, name, client.JSONPatch, patch)
	require.NoError(t, err)
}

// TestDeploymentRollingUpdateUndoPauseResume rolls a Deployment of 4 pods (maxSurge 1,
// maxUnavailable 1) on a hollow node from v1 to v2 while two watches check on every pod and
// ReplicaSet event that at most 5 pods live and at least 3 are ready; undoes it back to v1 (the
// first ReplicaSet becomes revision 3, no third one appears); pauses it, changes the image and
// scales it (the scale applies, the image does not roll out), and resumes it to roll out.
func TestDeploymentRollingUpdateUndoPauseResume(t *testing.T) {
	e := startDeploymentEnv(t)
	bounds := watchRollout(t, e.c, "web", 5, 3)
	e.create(t, "web", "registry.local/web:v1", 4, 1, 1, 600)
	e.rolledOut(t, "web", "registry.local/web:v1", 4)
	require.Equal(t, "1", e.get(t, "web").GetMetadata().GetAnnotations()[revisionAnnotation])

	rollout := func(t *testing.T, change func(), image string) {
		t.Helper()
		bounds.arm()
		change()
		e.rolledOut(t, "web", image, 4)
		violations, events := bounds.disarm()
		require.Empty(t, violations)
		require.Greater(t, events, 8, "the watches saw the rollout: 4 pods created and 4 deleted at least")
	}

	t.Run("image change rolls out within the bounds", func(t *testing.T) {
		rollout(t, func() { e.update(t, "web", setImage("registry.local/web:v2")) }, "registry.local/web:v2")
		require.Equal(t, "2", e.get(t, "web").GetMetadata().GetAnnotations()[revisionAnnotation])
		rss := e.replicaSets(t, "web")
		require.Len(t, rss, 2)
		for name, rs := range rss {
			hash := rs.GetMetadata().GetLabels()[podTemplateHash]
			require.Equal(t, "web-"+hash, name)
			require.Equal(t, hash, rs.GetSpec().GetSelector().GetMatchLabels()[podTemplateHash])
		}
	})

	t.Run("undo returns to the previous template", func(t *testing.T) {
		rss := e.replicaSets(t, "web")
		rollout(t, func() { e.undo(t, "web", 1) }, "registry.local/web:v1")
		after := e.replicaSets(t, "web")
		require.Len(t, after, 2, "the first ReplicaSet is reused")
		for name := range rss {
			require.Contains(t, after, name)
		}
		require.Equal(t, "3", e.get(t, "web").GetMetadata().GetAnnotations()[revisionAnnotation])
		revs := map[string]bool{}
		for _, rs := range after {
			revs[rs.GetMetadata().GetAnnotations()[revisionAnnotation]] = true
			if rs.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage() == "registry.local/web:v1" {
				require.Equal(t, "1", rs.GetMetadata().GetAnnotations()["deployment.kubernetes.io/revision-history"])
			}
		}
		require.Equal(t, map[string]bool{"2": true, "3": true}, revs)
	})

	t.Run("pause stops the rollout but not a scale; resume continues", func(t *testing.T) {
		e.update(t, "web", func(d *appsv1.Deployment) { d.Spec.Paused = true })
		e.update(t, "web", func(d *appsv1.Deployment) {
			setImage("registry.local/web:v3")(d)
			d.Spec.Replicas = proto.Int32(5)
		})
		framework.Eventually(t, 30*time.Second, func() bool {
			d := e.get(t, "web")
			return d.GetStatus().GetObservedGeneration() == d.GetMetadata().GetGeneration() &&
				deploymentCondition(d, "Progressing").GetReason() == "DeploymentPaused" && d.GetStatus().GetAvailableReplicas() == 5
		}, "the paused deployment observed its spec and scaled to 5")
		for _, rs := range e.replicaSets(t, "web") {
			require.NotEqual(t, "registry.local/web:v3", rs.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage(),
				"no ReplicaSet of the new template while paused")
		}

		e.update(t, "web", func(d *appsv1.Deployment) { d.Spec.Paused = false })
		e.rolledOut(t, "web", "registry.local/web:v3", 5)
		require.Equal(t, "4", e.get(t, "web").GetMetadata().GetAnnotations()[revisionAnnotation])
	})
}

// TestDeploymentProgressDeadlineExceeded rolls a Deployment to a template whose pods are bound to
// a node that does not exist, so they never run: after its 2s progress deadline the Progressing
// condition turns False with ProgressDeadlineExceeded, while the old pods keep it Available.
func TestDeploymentProgressDeadlineExceeded(t *testing.T) {
	e := startDeploymentEnv(t)
	e.create(t, "stuck", "registry.local/stuck:v1", 2, 1, 0, 2)
	e.rolledOut(t, "stuck", "registry.local/stuck:v1", 2)

	e.update(t, "stuck", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.NodeName = "nowhere"
		setImage("registry.local/stuck:v2")(d)
	})
	framework.Eventually(t, 30*time.Second, func() bool {
		return deploymentCondition(e.get(t, "stuck"), "Progressing").GetReason() == "ProgressDeadlineExceeded"
	}, "the stuck rollout reports ProgressDeadlineExceeded")
	d := e.get(t, "stuck")
	cond := deploymentCondition(d, "Progressing")
	require.Equal(t, "False", cond.GetStatus())
	require.Contains(t, cond.GetMessage(), "has timed out progressing")
	require.Equal(t, "True", deploymentCondition(d, "Available").GetStatus())
	require.Equal(t, int32(2), d.GetStatus().GetAvailableReplicas())
	require.Equal(t, int32(1), d.GetStatus().GetUpdatedReplicas(), "one surge pod, never ready, holds the old ones")
}

// TestDeploymentRecreateNeverOverlaps rolls a Recreate Deployment of 3 pods from v1 to v2 while a
// pod watch checks on every event that no pod of v2 exists while a pod of v1 does, counting pods
// being deleted until they are gone.
func TestDeploymentRecreateNeverOverlaps(t *testing.T) {
	e := startDeploymentEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := e.c.Pods("default").Watch(ctx, client.ListOptions{LabelSelector: "app=re"})
	require.NoError(t, err)
	var (
		mu         sync.Mutex
		overlaps   []string
		sawV2      bool
		byTemplate = map[string]map[string]bool{} // image -> pod names that exist
	)
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range w.Events() {
			image := ev.Object.GetSpec().GetContainers()[0].GetImage()
			name := ev.Object.GetMetadata().GetName()
			mu.Lock()
			if byTemplate[image] == nil {
				byTemplate[image] = map[string]bool{}
			}
			if ev.Type == client.Deleted {
				delete(byTemplate[image], name)
			} else {
				byTemplate[image][name] = true
			}
			v1, v2 := len(byTemplate["registry.local/re:v1"]), len(byTemplate["registry.local/re:v2"])
			sawV2 = sawV2 || v2 > 0
			if v1 > 0 && v2 > 0 {
				overlaps = append(overlaps, fmt.Sprintf("after pod %s %s: %d pods of v1 and %d of v2", ev.Type, name, v1, v2))
			}
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		cancel()
		w.Stop()
		wg.Wait()
	})

	_, err = e.c.Deployments("default").Create(e.ctx, &appsv1.Deployment{
		Metadata: &metav1.ObjectMeta{Name: "re"},
		Spec: &appsv1.DeploymentSpec{
			Replicas: proto.Int32(3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "re"}},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": "re"}},
				Spec:     &corev1.PodSpec{NodeName: e.node, Containers: []*corev1.Container{{Name: "app", Image: "registry.local/re:v1"}}},
			},
			Strategy: &appsv1.DeploymentStrategy{Type: "Recreate"},
		},
	})
	require.NoError(t, err)
	e.rolledOut(t, "re", "registry.local/re:v1", 3)
	e.update(t, "re", setImage("registry.local/re:v2"))
	e.rolledOut(t, "re", "registry.local/re:v2", 3)
	mu.Lock()
	defer mu.Unlock()
	require.True(t, sawV2)
	require.Empty(t, overlaps)
}
