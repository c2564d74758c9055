package noderestriction

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Nodes reads a Node for the owner check of mirror pods. *registry.Store serving nodes is one.
type Nodes interface {
	Get(ctx context.Context, namespace, name string, opts registry.GetOptions) (scheme.Object, error)
}

// Admission is the NodeRestriction admission. It is safe for concurrent use.
type Admission struct {
	nodes Nodes
}

// New returns the NodeRestriction admission of reg, which must serve nodes.
func New(reg *registry.Registry) (*Admission, error) {
	st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "nodes"})
	if err != nil {
		return nil, fmt.Errorf("node restriction admission: %w", err)
	}
	return NewWith(st), nil
}

// NewWith returns the NodeRestriction admission reading nodes through nodes.
func NewWith(nodes Nodes) *Admission { return &Admission{nodes: nodes} }

var _ registry.Admitter = (*Admission)(nil)

// Admit refuses with Forbidden what a node may not write, and a change of a Node's addresses or
// daemon endpoints by anyone but that node's kubelet, system:masters and the apiserver itself.
func (ad *Admission) Admit(ctx context.Context, a registry.Attributes) error {
	u, ok := user.FromContext(ctx)
	if !ok {
		return nil
	}
	nodeName, isNode := node.NameOf(u)
	if !isNode && u.InGroup(user.NodesGroup) {
		if restricted(a) {
			return forbidden(a, fmt.Sprintf("could not determine node from user %q", u.Name))
		}
		return nil
	}
	switch {
	case a.Kind.Group == scheme.GroupCore && a.Kind.Kind == "Node":
		if !isNode {
			return admitNodeByOthers(a, u)
		}
		return admitNode(a, nodeName)
	case !isNode:
		return nil
	case a.Kind.Group == scheme.GroupCore && a.Kind.Kind == "Pod":
		return ad.admitPod(ctx, a, nodeName)
	case a.Kind.Group == scheme.GroupCoordination && a.Kind.Kind == "Lease":
		return admitLease(a, nodeName)
	}
	return nil
}

// restricted reports whether a writes a kind this admission restricts for nodes.
func restricted(a registry.Attributes) bool {
	k := a.Kind
	return (k.Group == scheme.GroupCore && (k.Kind == "Node" || k.Kind == "Pod")) ||
		(k.Group == scheme.GroupCoordination && k.Kind == "Lease")
}

// admitLease lets a node write only its own Lease in kube-node-lease.
func admitLease(a registry.Attributes, nodeName string) error {
	if a.Namespace != node.LeaseNamespace {
		return nil
	}
	if a.Name != nodeName {
		return forbidden(a, "can only access node lease with the same name as the requesting node")
	}
	return nil
}

func forbidden(a registry.Attributes, why string) error {
	return apierrors.NewForbidden(a.Kind.Group, resourceOf(a), a.Name, why)
}

func resourceOf(a registry.Attributes) string {
	if a.Subresource != "" {
		return a.Kind.Resource + "/" + a.Subresource
	}
	return a.Kind.Resource
}
