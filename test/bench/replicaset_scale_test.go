package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

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
// a watch.
//
// Two baselines, measured first against the same apiserver by 64 concurrent clients, say what the
// API allows. The first is how fast 3,000 pods can be created alone; the ratio of running pods/s to
// it says how much of the API's create throughput the controllers, the scheduler and the kubelets
// together turn into running pods (target ≥ 0.5). The second is how fast 3,000 pods can get the
// three writes every Running pod needs, one after another and with nothing else running: the
// create, the binding the scheduler writes and the status update to Running the kubelet writes.
// No controller, scheduler or kubelet design gets pods Running faster than that, so
// ceiling/creates is the highest ratio reachable, and running/ceiling says how much of that bound
// the cluster reaches.
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
	ceiling := writeCeiling(ctx, b, c, ns)

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
	b.ReportMetric(ceiling, "write-ceiling-pods/s")
	b.ReportMetric(ceiling/creates, "ceiling/creates")
	b.ReportMetric(rate/ceiling, "running/ceiling")
	fmt.Printf("ReplicaSet 0 -> %d on %d hollow nodes: all created after %.1f s, all bound after %.1f s, all Running after %.1f s: "+
		"%.0f pods/s Running; API creates alone: %.0f pods/s; ratio %.3f (target >= 0.5); "+
		"the three writes a Running pod needs, alone: %.0f pods/s = %.2f of creates, so running pods reach %.2f of that bound\n",
		rsScalePods, rsScaleNodes, created.Seconds(), bound.Seconds(), elapsed.Seconds(), rate, creates, rate/creates,
		ceiling, ceiling/creates, rate/ceiling)
}

// writeCeiling measures how fast rsScalePods pods get the writes every Running pod needs, with
// nothing else running: on each of schedCreators clients, pod after pod, the create, the binding
// the scheduler writes and the status update to Running the kubelet's status manager writes. It
// returns pods per second and deletes the pods afterwards.
//
// The pods, in ns, name another scheduler as the create baseline's do, and are bound to names no
// kubelet serves (rs-ceiling-<n>, not the hollow nodes' rs-bench-<n>), so that nothing else ever
// writes them. The binding subresource does not look the node up, so no Node objects are needed.
func writeCeiling(ctx context.Context, b *testing.B, c *client.Client, ns string) float64 {
	b.Helper()
	pods := c.Pods(ns)
	name := func(i int) string { return fmt.Sprintf("ceil-%05d", i) }
	rate := run(b, rsScalePods, schedCreators, func(i int) error {
		p := benchPod(name(i))
		p.Spec.SchedulerName = "nobody"
		p, err := pods.Create(ctx, p)
		if err != nil {
			return err
		}
		node := i % rsScaleNodes
		if err := pods.Bind(ctx, name(i), fmt.Sprintf("rs-ceiling-%d", node)); err != nil {
			return err
		}
		// The status manager reads the pod before a conditional write; the read is left out, and
		// the write made unconditional instead, so that the rate counts the writes alone.
		p.Metadata.ResourceVersion = ""
		p.Status = runningStatus(p, i, node)
		_, err = pods.UpdateStatus(ctx, p)
		return err
	})
	zero := int64(0)
	run(b, rsScalePods, schedCreators, func(i int) error {
		return pods.Delete(ctx, name(i), client.DeleteOptions{GracePeriodSeconds: &zero})
	})
	return rate
}

// runningStatus is the status the kubelet writes for p, the i-th pod, of benchPod's one container,
// once that container has started on the given hollow node: phase Running and Ready, with
// addresses and a container ID shaped like the hollow kubelet's, so that the write is the size of
// the kubelet's.
func runningStatus(p *corev1.Pod, i, node int) *corev1.PodStatus {
	now := timestamppb.New(time.Now().Truncate(time.Second))
	hostIP := fmt.Sprintf("127.1.0.%d", node+1)
	podIP := fmt.Sprintf("10.1.%d.%d", (i+1)>>8&0xff, (i+1)&0xff)
	started := true
	cond := func(typ string) *corev1.PodCondition {
		return &corev1.PodCondition{Type: typ, Status: "True", LastTransitionTime: now}
	}
	ctr := p.GetSpec().GetContainers()[0]
	return &corev1.PodStatus{
		Phase:      "Running",
		Conditions: []*corev1.PodCondition{cond("PodScheduled"), cond("Initialized"), cond("ContainersReady"), cond("Ready")},
		HostIp:     hostIP, HostIps: []*corev1.HostIP{{Ip: hostIP}},
		PodIp: podIP, PodIps: []*corev1.PodIP{{Ip: podIP}},
		StartTime: now,
		QosClass:  "Burstable",
		ContainerStatuses: []*corev1.ContainerStatus{{
			Name: ctr.GetName(), Image: ctr.GetImage(), Ready: true, Started: &started,
			ContainerId: fmt.Sprintf("hollow://%s-%s", p.GetMetadata().GetUid(), ctr.GetName()),
			State:       &corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}},
	}
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
