package daemonset

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/nodeaffinity"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Labels a daemon pod carries about the template it was made from, as Kubernetes names them.
const (
	RevisionHashLabel       = "controller-revision-hash"
	TemplateGenerationLabel = "pod-template-generation"
)

// templateHash returns the hash of ds's pod template that its pods carry in RevisionHashLabel.
func templateHash(ds *appsv1.DaemonSet) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(ds.GetSpec().GetTemplate())
	if err != nil {
		panic(fmt.Sprintf("daemonset: marshal template: %v", err)) // generated messages always encode
	}
	h := fnv.New32a()
	_, _ = h.Write(b)
	if cc := ds.GetStatus().GetCollisionCount(); cc != 0 {
		_, _ = h.Write([]byte(strconv.Itoa(int(cc))))
	}
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// ownerReference returns the controller reference the pods of ds carry.
func ownerReference(ds *appsv1.DaemonSet) *metav1.OwnerReference {
	return podclaim.OwnerReference(ds, "apps/v1", "DaemonSet")
}

// targetNode returns the node a daemon pod is for: its spec.nodeName, or, while it is not
// bound, the one node its required node affinity names.
func targetNode(pod *corev1.Pod) string {
	if n := pod.GetSpec().GetNodeName(); n != "" {
		return n
	}
	if req, err := nodeaffinity.NewRequired(pod); err == nil {
		if names, pinned := req.NodeNames(); pinned && len(names) == 1 {
			return names[0]
		}
	}
	return ""
}

// pinTo returns affinity with its required node affinity pinned to node: every term's
// matchFields replaced by metadata.name In [node] (its matchExpressions kept), or one term of
// just that when there is none, as Kubernetes does for daemon pods.
func pinTo(affinity *corev1.Affinity, node string) *corev1.Affinity {
	a := affinity.CloneVT()
	if a == nil {
		a = &corev1.Affinity{}
	}
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	req := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if req == nil {
		req = &corev1.NodeSelector{}
		a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = req
	}
	field := []*corev1.NodeSelectorRequirement{{Key: nodeaffinity.NodeNameField, Operator: "In", Values: []string{node}}}
	if len(req.NodeSelectorTerms) == 0 {
		req.NodeSelectorTerms = []*corev1.NodeSelectorTerm{{}}
	}
	for _, term := range req.NodeSelectorTerms {
		term.MatchFields = slices.Clone(field)
	}
	return a
}

// newPod returns the pod of ds for node.
func newPod(ds *appsv1.DaemonSet, node, hash string) *corev1.Pod {
	tmpl := ds.GetSpec().GetTemplate()
	spec := tmpl.GetSpec().CloneVT()
	if spec == nil {
		spec = &corev1.PodSpec{}
	}
	spec.Affinity = pinTo(spec.GetAffinity(), node)
	spec.Tolerations = daemonTolerations(spec)
	lbls := maps.Clone(tmpl.GetMetadata().GetLabels())
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[RevisionHashLabel] = hash
	lbls[TemplateGenerationLabel] = strconv.FormatInt(ds.GetMetadata().GetGeneration(), 10)
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			GenerateName:    ds.GetMetadata().GetName() + "-",
			Namespace:       ds.GetMetadata().GetNamespace(),
			Labels:          lbls,
			Annotations:     maps.Clone(tmpl.GetMetadata().GetAnnotations()),
			Finalizers:      slices.Clone(tmpl.GetMetadata().GetFinalizers()),
			OwnerReferences: []*metav1.OwnerReference{ownerReference(ds)},
		},
		Spec: spec,
	}
}

// syncPods creates a pod of ds on each of nodes and deletes each of victims, in parallel, after
// setting the expectations; every write that did not happen lowers them again.
func (c *Controller) syncPods(ctx context.Context, key string, ds *appsv1.DaemonSet, nodes []string, victims []*corev1.Pod) error {
	nodes = nodes[:min(len(nodes), burst)]
	if len(nodes) == 0 && len(victims) == 0 {
		return nil
	}
	c.expectations.Expect(key, len(nodes), len(victims))
	hash := templateHash(ds)
	ns := ds.GetMetadata().GetNamespace()
	errs := make([]error, len(nodes)+len(victims))
	var wg sync.WaitGroup
	for i, node := range nodes {
		wg.Go(func() {
			pod, err := c.client.Pods(ns).Create(ctx, newPod(ds, node, hash))
			if err != nil {
				c.expectations.Lower(key, 1, 0)
				c.recorder.Eventf(ds, events.TypeWarning, "FailedCreate", "Error creating: %v", err)
				errs[i] = fmt.Errorf("create pod of daemon set %s on node %s: %w", scheme.Key(ds), node, err)
				return
			}
			c.recorder.Eventf(ds, events.TypeNormal, "SuccessfulCreate", "Created pod: %s", pod.GetMetadata().GetName())
		})
	}
	for i, pod := range victims {
		wg.Go(func() {
			m := pod.GetMetadata()
			err := c.client.Pods(ns).Delete(ctx, m.GetName(), client.DeleteOptions{PreconditionUID: m.GetUid()})
			switch {
			case apierrors.IsNotFound(err):
				c.expectations.Lower(key, 0, 1)
			case err != nil:
				c.expectations.Lower(key, 0, 1)
				c.recorder.Eventf(ds, events.TypeWarning, "FailedDelete", "Error deleting: %v", err)
				errs[len(nodes)+i] = fmt.Errorf("delete pod %s of daemon set %s: %w", scheme.Key(pod), scheme.Key(ds), err)
			default:
				c.recorder.Eventf(ds, events.TypeNormal, "SuccessfulDelete", "Deleted pod: %s", m.GetName())
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
