package noderestriction

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// RestrictedLabelPrefix starts the labels a kubelet may not set on its own Node: they are for an
// administrator to place workloads by, so a compromised node must not claim them.
const RestrictedLabelPrefix = "node-restriction.kubernetes.io/"

// admitNode lets a node create, update, update the status of and delete only its own Node, and
// keeps what an administrator decides out of its reach: restricted labels, taints, pod CIDRs and
// a provider ID once set.
func admitNode(a registry.Attributes, nodeName string) error {
	if a.Name != nodeName {
		return forbidden(a, fmt.Sprintf("node %q is not allowed to modify node %q", nodeName, a.Name))
	}
	if a.Subresource != "" || a.Operation == registry.OperationDelete {
		return nil
	}
	n, _ := a.Object.(*corev1.Node)
	old, _ := a.Old.(*corev1.Node)
	if n == nil {
		return nil
	}
	if a.Operation == registry.OperationCreate {
		if l := restrictedLabels(n.GetMetadata().GetLabels()); len(l) > 0 {
			return forbidden(a, fmt.Sprintf("is not allowed to set the following labels: %s", strings.Join(l, ", ")))
		}
		return nil
	}
	if old == nil {
		return nil
	}
	if changed := changedRestrictedLabels(old.GetMetadata().GetLabels(), n.GetMetadata().GetLabels()); len(changed) > 0 {
		return forbidden(a, fmt.Sprintf("is not allowed to modify labels: %s", strings.Join(changed, ", ")))
	}
	os, ns := old.GetSpec(), n.GetSpec()
	switch {
	case !taintsEqual(os.GetTaints(), ns.GetTaints()):
		return forbidden(a, fmt.Sprintf("node %q is not allowed to modify taints", nodeName))
	case os.GetPodCidr() != ns.GetPodCidr() || !slices.Equal(os.GetPodCidrs(), ns.GetPodCidrs()):
		return forbidden(a, fmt.Sprintf("node %q is not allowed to change pod CIDRs", nodeName))
	case os.GetProviderId() != "" && os.GetProviderId() != ns.GetProviderId():
		return forbidden(a, fmt.Sprintf("node %q is not allowed to change its provider ID", nodeName))
	}
	return nil
}

// admitNodeByOthers refuses a user that is not a node setting or changing a Node's addresses or
// daemon endpoints; system:masters and the apiserver itself may.
func admitNodeByOthers(a registry.Attributes, u *user.Info) error {
	if u.InGroup(user.SystemPrivilegedGroup) || u.Name == user.APIServerUser || a.Operation == registry.OperationDelete {
		return nil
	}
	n, _ := a.Object.(*corev1.Node)
	if n == nil {
		return nil
	}
	old, _ := a.Old.(*corev1.Node)
	if proto.Equal(&corev1.NodeStatus{Addresses: old.GetStatus().GetAddresses(), DaemonEndpoints: old.GetStatus().GetDaemonEndpoints()},
		&corev1.NodeStatus{Addresses: n.GetStatus().GetAddresses(), DaemonEndpoints: n.GetStatus().GetDaemonEndpoints()}) {
		return nil
	}
	return forbidden(a, fmt.Sprintf("user %q is not allowed to set the addresses or daemon endpoints of node %q: only its kubelet may", u.Name, a.Name))
}

func restrictedLabels(labels map[string]string) []string {
	var out []string
	for k := range labels {
		if isRestrictedLabel(k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func changedRestrictedLabels(old, cur map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		if ov, ok := old[k]; isRestrictedLabel(k) && (!ok || ov != cur[k]) {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if _, ok := cur[k]; isRestrictedLabel(k) && !ok {
			out = append(out, k)
		}
	}
	return out
}

func isRestrictedLabel(key string) bool {
	prefix, _, ok := strings.Cut(key, "/")
	return ok && (prefix+"/" == RestrictedLabelPrefix || strings.HasSuffix(prefix, "."+strings.TrimSuffix(RestrictedLabelPrefix, "/")))
}

func taintsEqual(a, b []*corev1.Taint) bool {
	return slices.EqualFunc(a, b, func(x, y *corev1.Taint) bool { return proto.Equal(x, y) })
}
