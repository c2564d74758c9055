package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

const (
	rsScalePods    = 3000
	rsScaleNodes   = 100
	rsScaleTimeout = 5 * time.Minute
)

// BenchmarkReplicaSetScaleUp scales a ReplicaSet from 0 to 3,000 on 100 hollow nodes — the
// in-process apiserver on embedded etcd, scheduler, controller manager and one kubelet process
// running the hollow nodes — and reports pods/s from the scale-up to the last pod seen Running on
// a watch. The baseline, measured first against the same apiserver, is how fast 3,000 pods can be
// created alone by 64 concurrent clients: every replica costs at least that create, so the ratio
// says how much of the API's create throughput the controllers, the scheduler and the kubelets
// together turn into running pods (target ≥ 0.5).
func BenchmarkReplicaSetScaleUp(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), rsScaleTimeout)
	defer cancel()
	cl := framework.StartCluster(b, framework.Options{APIServers: 1, EmbeddedEtcd: true})
	addr := cl.APIServer(0).Addr().String()
	c := cl.Client(addr)

	const ns = "rs-baseline"
	if _, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	creates := run(b, rsScalePods, schedCreators, func(i int) error {
		p := benchPod(fmt.Sprintf("base-%05d", i))
		p.Spec.SchedulerName = "nobody"
		_, err := c.Pods(ns).Create(ctx, p)
		return err
	})
	zero := int64(0)
	run(b, rsScalePods, schedCreators, func(i int) error {
		return c.Pods(ns).Delete(ctx, fmt.Sprintf("base-%05d", i), client.DeleteOptions{GracePeriodSeconds: &zero})
	})

	framework.StartScheduler(b, []string{addr}, nil)
	framework.StartKubelet(b, cl, framework.KubeletOptions{Runtime: kubeletserver.RuntimeHollow, Configure: func(cfg *kubeletserver.Config) {
		cfg.HollowNodes, cfg.HollowNodePrefix = rsScaleNodes, "rs-bench"
	}})
	framework.Eventually(b, time.Minute, func() bool {
		l, err := c.Nodes().List(ctx, client.ListOptions{})
		return err == nil && len(l.Items) == rsScaleNodes
	}, "%d hollow nodes register", rsScaleNodes)
	framework.StartControllerManager(b, []string{addr}, func(cfg *cmserver.Config) {
		cfg.Controllers.Controllers = []string{"replicaset"}
	})

	progress := watchProgress(ctx, b, c, "app=rs-bench")
	labels := map[string]string{"app": "rs-bench"}
	replicas := int32(rsScalePods)
	start := time.Now()
	_, err := c.ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: "rs-bench", Namespace: "default"},
		Spec: &appsv1.ReplicaSetSpec{
			Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: labels}, Spec: benchPod("x").Spec},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	var created, bound time.Duration
	framework.Eventually(b, rsScaleTimeout, func() bool {
		c, bd, r := progress()
		if created == 0 && c == rsScalePods {
			created = time.Since(start)
		}
		if bound == 0 && bd == rsScalePods {
			bound = time.Since(start)
		}
		return r == rsScalePods
	}, "all %d pods Running", rsScalePods)
	elapsed := time.Since(start)
	rate := float64(rsScalePods) / elapsed.Seconds()
	b.ReportMetric(creates, "api-creates/s")
	b.ReportMetric(rate, "running-pods/s")
	b.ReportMetric(rate/creates, "ratio")
	fmt.Printf("ReplicaSet 0 -> %d on %d hollow nodes: all created after %.1f s, all bound after %.1f s, all Running after %.1f s: "+
		"%.0f pods/s Running; API creates alone: %.0f pods/s; ratio %.3f (target >= 0.5)\n",
		rsScalePods, rsScaleNodes, created.Seconds(), bound.Seconds(), elapsed.Seconds(), rate, creates, rate/creates)
}

// watchProgress watches the pods selector picks and returns a function counting those seen
// created, bound to a node and Running.
func watchProgress(ctx context.Context, b *testing.B, c *client.Client, selector string) func() (created, bound, running int) {
	b.Helper()
	w, err := c.Pods("default").Watch(ctx, client.ListOptions{LabelSelector: selector})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	seen, onNode, up := map[string]bool{}, map[string]bool{}, map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			if ev.Type == client.Deleted {
				continue
			}
			name := ev.Object.GetMetadata().GetName()
			mu.Lock()
			seen[name] = true
			if ev.Object.GetSpec().GetNodeName() != "" {
				onNode[name] = true
			}
			if ev.Object.GetStatus().GetPhase() == "Running" {
				up[name] = true
			}
			mu.Unlock()
		}
	}()
	b.Cleanup(func() { w.Stop(); <-done })
	return func() (int, int, int) {
		mu.Lock()
		defer mu.Unlock()
		return len(seen), len(onNode), len(up)
	}
}

// BenchmarkDeploymentRollingUpdate rolls a new image out to a 1,000-replica Deployment (maxSurge
// and maxUnavailable 25%, Kubernetes' defaults) on 100 hollow nodes under the in-process
// controller manager, scheduler and one hollow kubelet, and reports the time from the template
// change until every replica runs the new template and is available. For scale, the same run
// first times the Deployment's creation from nothing to 1,000 available replicas.
func BenchmarkDeploymentRollingUpdate(b *testing.B) {
	const replicas = 1000
	ctx, cancel := context.WithTimeout(context.Background(), rsScaleTimeout)
	defer cancel()
	cl := framework.StartCluster(b, framework.Options{APIServers: 1, EmbeddedEtcd: true})
	addr := cl.APIServer(0).Addr().String()
	c := cl.Client(addr)
	framework.StartScheduler(b, []string{addr}, nil)
	framework.StartKubelet(b, cl, framework.KubeletOptions{Runtime: kubeletserver.RuntimeHollow, Configure: func(cfg *kubeletserver.Config) {
		cfg.HollowNodes, cfg.HollowNodePrefix = rsScaleNodes, "deploy-bench"
	}})
	framework.Eventually(b, time.Minute, func() bool {
		l, err := c.Nodes().List(ctx, client.ListOptions{})
		return err == nil && len(l.Items) == rsScaleNodes
	}, "%d hollow nodes register", rsScaleNodes)
	framework.StartControllerManager(b, []string{addr}, func(cfg *cmserver.Config) {
		cfg.Controllers.Controllers = []string{"replicaset", "deployment"}
	})

	labels := map[string]string{"app": "deploy-bench"}
	n := int32(replicas)
	start := time.Now()
	_, err := c.Deployments("default").Create(ctx, &appsv1.Deployment{
		Metadata: &metav1.ObjectMeta{Name: "deploy-bench", Namespace: "default"},
		Spec: &appsv1.DeploymentSpec{
			Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: labels}, Spec: benchPod("x").Spec},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	done := func(gen int64) func() bool {
		return func() bool {
			d, err := c.Deployments("default").Get(ctx, "deploy-bench")
			st := d.GetStatus()
			return err == nil && st.GetObservedGeneration() >= gen && st.GetUpdatedReplicas() == replicas &&
				st.GetAvailableReplicas() == replicas && st.GetReplicas() == replicas
		}
	}
	framework.Eventually(b, rsScaleTimeout, done(1), "%d replicas available", replicas)
	created := time.Since(start)

	d, err := c.Deployments("default").Get(ctx, "deploy-bench")
	if err != nil {
		b.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = "registry.local/bench:2.0"
	start = time.Now()
	d, err = c.Deployments("default").Update(ctx, d)
	if err != nil {
		b.Fatal(err)
	}
	framework.Eventually(b, rsScaleTimeout, done(d.GetMetadata().GetGeneration()), "the rollout completes")
	rolled := time.Since(start)
	b.ReportMetric(created.Seconds(), "create-s")
	b.ReportMetric(rolled.Seconds(), "rollout-s")
	fmt.Printf("Deployment of %d replicas on %d hollow nodes: created and available in %.1f s; rolling update (25%% surge/unavailable) complete in %.1f s (%.0f pods replaced/s)\n",
		replicas, rsScaleNodes, created.Seconds(), rolled.Seconds(), replicas/rolled.Seconds())
}
