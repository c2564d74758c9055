package noderestriction

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// MirrorAnnotation marks a mirror pod, the API's copy of a kubelet's static pod.
const MirrorAnnotation = "kubernetes.io/config.mirror"

// admitPod lets a node create only mirror pods bound to itself that reach no other object, never
// update a pod's spec, and write the status of, delete and evict only the pods bound to itself.
func (ad *Admission) admitPod(ctx context.Context, a registry.Attributes, nodeName string) error {
	switch {
	case a.Operation == registry.OperationCreate:
		return ad.admitMirrorPod(ctx, a, nodeName)
	case a.Operation == registry.OperationUpdate && a.Subresource == "":
		return forbidden(a, fmt.Sprintf("node %q can only update pod status", nodeName))
	}
	old, _ := a.Old.(*corev1.Pod)
	if bound := old.GetSpec().GetNodeName(); bound != nodeName {
		return forbidden(a, fmt.Sprintf("node %q can only %s pods with spec.nodeName set to itself", nodeName, verbOf(a)))
	}
	return nil
}

func verbOf(a registry.Attributes) string {
	if a.Operation == registry.OperationDelete {
		return "delete"
	}
	return "update the status of"
}

// admitMirrorPod checks a pod a node creates, as Kubernetes does.
func (ad *Admission) admitMirrorPod(ctx context.Context, a registry.Attributes, nodeName string) error {
	pod, _ := a.Object.(*corev1.Pod)
	if _, ok := pod.GetMetadata().GetAnnotations()[MirrorAnnotation]; !ok {
		return forbidden(a, fmt.Sprintf("pod does not have %q annotation, node %q can only create mirror pods", MirrorAnnotation, nodeName))
	}
	if pod.GetSpec().GetNodeName() != nodeName {
		return forbidden(a, fmt.Sprintf("node %q can only create pods with spec.nodeName set to itself", nodeName))
	}
	if refs := node.PodReferences(pod); len(refs) > 0 {
		return forbidden(a, fmt.Sprintf("node %q can not create pods that reference %s %q", nodeName, refs[0].Resource, refs[0].Name))
	}
	for _, v := range pod.GetSpec().GetVolumes() {
		for _, src := range v.GetProjected().GetSources() {
			if src.GetServiceAccountToken() != nil || src.GetClusterTrustBundle() != nil {
				return forbidden(a, fmt.Sprintf("node %q can not create pods with projected service account tokens or trust bundles", nodeName))
			}
		}
	}
	return ad.admitMirrorOwner(ctx, a, pod, nodeName)
}

// admitMirrorOwner allows no owner, or one controller reference to the node's own Node (with its
// current uid) that does not block the owner's deletion.
func (ad *Admission) admitMirrorOwner(ctx context.Context, a registry.Attributes, pod *corev1.Pod, nodeName string) error {
	owners := pod.GetMetadata().GetOwnerReferences()
	switch {
	case len(owners) == 0:
		return nil
	case len(owners) > 1:
		return forbidden(a, fmt.Sprintf("node %q can only create pods with a single owner reference set to itself", nodeName))
	}
	o := owners[0]
	switch {
	case o.GetApiVersion() != "v1" || o.GetKind() != "Node" || o.GetName() != nodeName:
		return forbidden(a, fmt.Sprintf("node %q can only create pods with an owner reference set to itself", nodeName))
	case !o.GetController():
		return forbidden(a, fmt.Sprintf("node %q can only create pods with a controller owner reference set to itself", nodeName))
	case o.GetBlockOwnerDeletion():
		return forbidden(a, fmt.Sprintf("node %q must not set blockOwnerDeletion on an owner reference", nodeName))
	}
	n, err := ad.nodes.Get(ctx, "", nodeName, registry.GetOptions{})
	if apierrors.IsNotFound(err) {
		return forbidden(a, fmt.Sprintf("node %q does not exist", nodeName))
	}
	if err != nil {
		return fmt.Errorf("read node %s for its mirror pod's owner: %w", nodeName, err)
	}
	if uid := n.GetMetadata().GetUid(); o.GetUid() != uid {
		return forbidden(a, fmt.Sprintf("the UID in the owner reference (%s) does not match the UID of node %q (%s)", o.GetUid(), nodeName, uid))
	}
	return nil
}
