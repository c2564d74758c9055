package daemonset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/labels"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// plan is what one reconcile of a DaemonSet does and reports.
type plan struct {
	create []string      // nodes to start a pod on
	delete []*corev1.Pod // pods to delete
	status *appsv1.DaemonSetStatus
	// pendingAvailable is set when a ready pod is not yet available for minReadySeconds.
	pendingAvailable bool
}

// reconcile brings the DaemonSet named by key to one pod per eligible node and writes its status.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued: nothing to retry
	}
	ds, ok := c.sets.Lister().Get(ns, name)
	if !ok {
		c.expectations.Delete(key)
		return controller.Result{}, nil
	}
	sel, err := labels.FromLabelSelector(ds.GetSpec().GetSelector())
	if err != nil || ds.GetSpec().GetSelector() == nil {
		c.recorder.Eventf(ds, events.TypeWarning, "InvalidSelector", "Invalid selector: %v", err)
		return controller.Result{}, nil // retrying cannot fix the spec; an update requeues it
	}
	fit, err := newFitter(ds)
	if err != nil {
		c.recorder.Eventf(ds, events.TypeWarning, "InvalidNodeConstraints", "Invalid node constraints: %v", err)
		return controller.Result{}, nil
	}
	// Read the expectations before the pods: once met, the cache holds every write they counted.
	satisfied := c.expectations.Satisfied(key)
	pods, err := podclaim.Claim(ctx, c.client, ds, ownerReference(ds), sel, c.pods.Lister().ListNamespace(ns))
	if err != nil {
		return controller.Result{}, err
	}
	p := c.plan(ds, fit, pods)
	var syncErr error
	if satisfied && ds.GetMetadata().GetDeletionTimestamp() == nil {
		syncErr = c.syncPods(ctx, key, ds, p.create, p.delete)
	}
	if err := c.updateStatus(ctx, ds, p.status); err != nil {
		return controller.Result{}, errors.Join(syncErr, err)
	}
	if syncErr != nil {
		return controller.Result{}, syncErr
	}
	if p.pendingAvailable {
		return controller.Result{RequeueAfter: time.Duration(ds.GetSpec().GetMinReadySeconds()) * time.Second}, nil
	}
	return controller.Result{}, nil
}

// plan decides the creates and deletes of ds over the nodes in the cache, and its status.
func (c *Controller) plan(ds *appsv1.DaemonSet, fit *fitter, pods []*corev1.Pod) plan {
	now := c.clock.Now()
	minReady := time.Duration(ds.GetSpec().GetMinReadySeconds()) * time.Second
	hash := templateHash(ds)
	var out plan
	byNode := map[string][]*corev1.Pod{}
	replacing := map[string]bool{} // nodes whose failed pod goes now; its successor comes next time
	for _, pod := range pods {
		if pod.GetMetadata().GetDeletionTimestamp() != nil {
			continue
		}
		node := targetNode(pod)
		switch ph := pod.GetStatus().GetPhase(); {
		case ph == "Failed" || ph == "Succeeded" || node == "":
			out.delete = append(out.delete, pod)
			replacing[node] = true
		default:
			byNode[node] = append(byNode[node], pod)
		}
	}
	st := &appsv1.DaemonSetStatus{
		ObservedGeneration: ds.GetMetadata().GetGeneration(),
		Conditions:         ds.GetStatus().GetConditions(),
	}
	if old := ds.GetStatus(); old != nil {
		st.CollisionCount = old.CollisionCount
	}
	type running struct {
		pod       *corev1.Pod
		available bool
	}
	var kept []running // the pod of every node that should run one and has one
	nodes := c.nodes.Lister().List()
	slices.SortFunc(nodes, func(a, b *corev1.Node) int { return cmp.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName()) })
	known := map[string]bool{}
	for _, node := range nodes {
		name := node.GetMetadata().GetName()
		known[name] = true
		place := fit.place(node)
		onNode := byNode[name]
		if place.shouldRun {
			st.DesiredNumberScheduled++
		}
		if !place.shouldContinue {
			out.delete = append(out.delete, onNode...)
			if len(onNode) > 0 {
				st.NumberMisscheduled++
			}
			continue
		}
		if len(onNode) == 0 {
			if place.shouldRun && !replacing[name] {
				out.create = append(out.create, name)
			}
			continue
		}
		if !place.shouldRun {
			st.NumberMisscheduled++ // may stay, but is not wanted there
		}
		// Keep the most valuable pod: of the current template, ready, oldest.
		slices.SortFunc(onNode, func(a, b *corev1.Pod) int { return byValue(a, b, hash) })
		out.delete = append(out.delete, onNode[1:]...)
		if !place.shouldRun {
			continue
		}
		pod := onNode[0]
		st.CurrentNumberScheduled++
		r := running{pod: pod}
		if pod.GetMetadata().GetLabels()[RevisionHashLabel] == hash {
			st.UpdatedNumberScheduled++
		}
		if since := readySince(pod); since != nil {
			st.NumberReady++
			if !since.Add(minReady).After(now) {
				r.available = true
				st.NumberAvailable++
			} else {
				out.pendingAvailable = true
			}
		}
		kept = append(kept, r)
	}
	for node, onNode := range byNode {
		if !known[node] {
			out.delete = append(out.delete, onNode...) // the node is gone
		}
	}
	st.NumberUnavailable = st.DesiredNumberScheduled - st.NumberAvailable
	out.status = st
	if ds.GetSpec().GetUpdateStrategy().GetType() != "RollingUpdate" {
		return out // OnDelete: a pod is replaced once the user deleted it
	}
	// Roll: old pods that are not available go at once; available ones only while fewer than
	// maxUnavailable nodes lack an available pod.
	maxUnavailable := resolveMaxUnavailable(ds.GetSpec().GetUpdateStrategy().GetRollingUpdate().GetMaxUnavailable(), int(st.DesiredNumberScheduled))
	unavailable := int(st.NumberUnavailable)
	for _, r := range kept {
		if r.pod.GetMetadata().GetLabels()[RevisionHashLabel] != hash && !r.available {
			out.delete = append(out.delete, r.pod)
		}
	}
	for _, r := range kept {
		if r.pod.GetMetadata().GetLabels()[RevisionHashLabel] != hash && r.available && unavailable < maxUnavailable {
			out.delete = append(out.delete, r.pod)
			unavailable++
		}
	}
	return out
}

// resolveMaxUnavailable returns maxUnavailable as a number of nodes: an integer, or a percentage
// of desired rounded up; unset is one.
func resolveMaxUnavailable(v *metav1.IntOrString, desired int) int {
	if v == nil {
		return 1
	}
	if v.GetType() == 0 {
		return int(v.GetIntVal())
	}
	pct, err := strconv.Atoi(strings.TrimSuffix(v.GetStrVal(), "%"))
	if err != nil {
		return 1 // validation rejects it; be conservative
	}
	return int(math.Ceil(float64(pct) * float64(desired) / 100))
}

// byValue orders pods of one node the most valuable first: of template hash, ready, oldest.
func byValue(a, b *corev1.Pod, hash string) int {
	score := func(p *corev1.Pod) int {
		s := 0
		if p.GetMetadata().GetLabels()[RevisionHashLabel] == hash {
			s += 2
		}
		if readySince(p) != nil {
			s++
		}
		return s
	}
	if d := cmp.Compare(score(b), score(a)); d != 0 {
		return d
	}
	return a.GetMetadata().GetCreationTimestamp().AsTime().Compare(b.GetMetadata().GetCreationTimestamp().AsTime())
}

// readySince returns when pod's Ready condition last became True, or nil when it is not ready.
func readySince(pod *corev1.Pod) *time.Time {
	for _, cond := range pod.GetStatus().GetConditions() {
		if cond.GetType() == "Ready" && cond.GetStatus() == "True" {
			t := cond.GetLastTransitionTime().AsTime()
			return &t
		}
	}
	return nil
}

// String describes a plan for logs and test failures.
func (p plan) String() string {
	names := make([]string, len(p.delete))
	for i, pod := range p.delete {
		names[i] = pod.GetMetadata().GetName()
	}
	return fmt.Sprintf("create on %v, delete %v", p.create, names)
}
