package node

import (
	"context"
	"fmt"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// LeaseNamespace holds every node's Lease.
const LeaseNamespace = "kube-node-lease"

// Authorizer is the Node authorizer. It is safe for concurrent use.
type Authorizer struct {
	graph *Graph
}

// New returns the Node authorizer judging by graph, which a Feed keeps current.
func New(graph *Graph) *Authorizer { return &Authorizer{graph: graph} }

var _ authz.Authorizer = (*Authorizer)(nil)

// NameOf returns the node u is the kubelet of: the name after system:node: when u is in
// system:nodes; ok is false for any other user.
func NameOf(u *user.Info) (string, bool) {
	if u == nil || !u.InGroup(user.NodesGroup) || !strings.HasPrefix(u.Name, user.NodeUserPrefix) {
		return "", false
	}
	name := strings.TrimPrefix(u.Name, user.NodeUserPrefix)
	return name, name != ""
}

// Authorize allows a node's request for its own Node and Lease, the pods bound to it and the
// objects they reference, events and its certificate signing requests; it has no opinion on every
// other request, and on every request of a user that is not a node.
func (a *Authorizer) Authorize(_ context.Context, attrs authz.Attributes) (authz.Decision, string, error) {
	node, ok := NameOf(attrs.User)
	if !ok || !attrs.ResourceRequest {
		return authz.NoOpinion, "", nil
	}
	switch attrs.APIGroup {
	case "":
		return a.core(node, attrs)
	case "coordination.k8s.io":
		if attrs.Resource == "leases" {
			return lease(node, attrs)
		}
	case "certificates.k8s.io":
		if attrs.Resource == "certificatesigningrequests" && attrs.Subresource == "" {
			return verbIn(attrs.Verb, "create", "get", "list", "watch"), "", nil
		}
	case "events.k8s.io":
		if attrs.Resource == "events" {
			return verbIn(attrs.Verb, "create", "update", "patch"), "", nil
		}
	}
	return authz.NoOpinion, "", nil
}

func (a *Authorizer) core(node string, attrs authz.Attributes) (authz.Decision, string, error) {
	switch attrs.Resource {
	case "nodes":
		return ownNode(node, attrs)
	case "pods":
		return a.pod(node, attrs)
	case "events":
		if attrs.Subresource == "" {
			return verbIn(attrs.Verb, "create", "update", "patch"), "", nil
		}
	case "services":
		// Every service, as the system:node role grants Kubernetes' Node authorizer: a
		// kubelet lists them for its pods' environment variables.
		if attrs.Subresource == "" {
			return verbIn(attrs.Verb, "get", "list", "watch"), "", nil
		}
	case KindSecret, KindConfigMap, KindPVC:
		return a.referenced(node, attrs)
	case KindServiceAccount:
		if attrs.Subresource == "token" {
			if attrs.Verb != "create" {
				return authz.NoOpinion, "can only create tokens", nil
			}
			return a.related(node, KindServiceAccount, attrs)
		}
		return a.referenced(node, attrs)
	}
	return authz.NoOpinion, "", nil
}

// ownNode allows reading every node, as Kubernetes does, and writing the node's own.
func ownNode(node string, attrs authz.Attributes) (authz.Decision, string, error) {
	switch attrs.Subresource {
	case "":
		switch attrs.Verb {
		case "get", "list", "watch":
			return authz.Allow, "", nil
		case "create":
			// A create names the node in its body, which NodeRestriction checks.
			if attrs.Name == "" || attrs.Name == node {
				return authz.Allow, "", nil
			}
		case "update", "patch", "delete":
			if attrs.Name == node {
				return authz.Allow, "", nil
			}
		}
	case "status":
		if (attrs.Verb == "update" || attrs.Verb == "patch" || attrs.Verb == "get") && attrs.Name == node {
			return authz.Allow, "", nil
		}
	}
	return authz.NoOpinion, fmt.Sprintf("node %q can only access its own Node object", node), nil
}

// lease allows the node's own Lease in kube-node-lease.
func lease(node string, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.Namespace != LeaseNamespace || attrs.Subresource != "" {
		return authz.NoOpinion, "can only access leases in " + LeaseNamespace, nil
	}
	switch attrs.Verb {
	case "create":
		if attrs.Name == "" || attrs.Name == node {
			return authz.Allow, "", nil
		}
	case "get", "update", "patch", "delete":
		if attrs.Name == node {
			return authz.Allow, "", nil
		}
	}
	return authz.NoOpinion, "can only access the node lease with the same name as the requesting node", nil
}

// pod allows reading the pods bound to the node, listing and watching pods (the kubelet selects
// its own by spec.nodeName), creating and deleting pods and evicting them (NodeRestriction limits
// both to mirror pods and the node's own pods), and writing its pods' status.
func (a *Authorizer) pod(node string, attrs authz.Attributes) (authz.Decision, string, error) {
	switch attrs.Subresource {
	case "":
		switch attrs.Verb {
		case "get":
			return a.related(node, "pods", attrs)
		case "list", "watch":
			return authz.Allow, "", nil
		case "create", "delete":
			return authz.Allow, "", nil
		}
	case "status":
		if attrs.Verb == "get" || attrs.Verb == "update" || attrs.Verb == "patch" {
			return a.related(node, "pods", attrs)
		}
	case "eviction":
		if attrs.Verb == "create" {
			return authz.Allow, "", nil
		}
	}
	return authz.NoOpinion, "", nil
}

// referenced allows reading one named object that a pod bound to the node references.
func (a *Authorizer) referenced(node string, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.Subresource != "" {
		return authz.NoOpinion, "cannot read subresource", nil
	}
	if d := verbIn(attrs.Verb, "get", "list", "watch"); d != authz.Allow {
		return authz.NoOpinion, "can only read resources of this type", nil
	}
	return a.related(node, attrs.Resource, attrs)
}

// related allows attrs when the object it names is a pod bound to node (resource "pods") or is
// referenced by one.
func (a *Authorizer) related(node, resource string, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.Namespace == "" || attrs.Name == "" {
		return authz.NoOpinion, "can only access a named object in a namespace", nil
	}
	var ok bool
	if resource == "pods" {
		bound, _, found := a.graph.PodNode(attrs.Namespace, attrs.Name)
		ok = found && bound == node
	} else {
		ok = a.graph.NodeReferences(node, resource, attrs.Namespace, attrs.Name)
	}
	if !ok {
		return authz.NoOpinion, fmt.Sprintf("no relationship found between node %q and this object", node), nil
	}
	return authz.Allow, "", nil
}

func verbIn(verb string, verbs ...string) authz.Decision {
	for _, v := range verbs {
		if v == verb {
			return authz.Allow
		}
	}
	return authz.NoOpinion
}
