package garbagecollector

import (
	"slices"
	"sync"

	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Finalizers the apiserver records from a delete's propagationPolicy.
const (
	finalizerOrphan     = "orphan"
	finalizerForeground = "foregroundDeletion"
)

// node is one object of the graph: its identity, its owners and the deletion state the
// collector acts on. Nodes are replaced, never changed, so a copy read under the lock stays
// valid.
type node struct {
	kind      *scheme.Kind
	namespace string
	name      string
	uid       string
	owners    []*metav1.OwnerReference
	// deleting is true once the object has a deletionTimestamp; finalizers are its finalizers.
	deleting   bool
	finalizers []string
}

func (n *node) has(finalizer string) bool { return slices.Contains(n.finalizers, finalizer) }

// deletingDependents reports whether n waits, as a foreground deletion, for its dependents.
func (n *node) deletingDependents() bool { return n.deleting && n.has(finalizerForeground) }

// ownerRef returns n's reference to the owner with uid, or nil.
func (n *node) ownerRef(uid string) *metav1.OwnerReference {
	for _, r := range n.owners {
		if r.GetUid() == uid {
			return r
		}
	}
	return nil
}

// graph indexes every object by uid and every owner uid by its dependents. An owner uid may
// have dependents without being in the graph itself: that is a dangling reference, or one to an
// object the graph has not seen yet. It is safe for concurrent use.
type graph struct {
	mu         sync.RWMutex
	nodes      map[string]*node
	dependents map[string]map[string]struct{}
}

func newGraph() *graph {
	return &graph{nodes: map[string]*node{}, dependents: map[string]map[string]struct{}{}}
}

// nodeOf makes the node of obj, an object of kind k.
func nodeOf(k *scheme.Kind, obj scheme.Object) *node {
	m := obj.GetMetadata()
	return &node{
		kind: k, namespace: m.GetNamespace(), name: m.GetName(), uid: m.GetUid(),
		owners: m.GetOwnerReferences(), deleting: m.GetDeletionTimestamp() != nil,
		finalizers: m.GetFinalizers(),
	}
}

// put adds n, or replaces the node of the same uid, and returns the node it replaced.
func (g *graph) put(n *node) (old *node) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old = g.nodes[n.uid]
	if old != nil {
		g.unlinkLocked(old)
	}
	g.nodes[n.uid] = n
	for _, r := range n.owners {
		deps := g.dependents[r.GetUid()]
		if deps == nil {
			deps = map[string]struct{}{}
			g.dependents[r.GetUid()] = deps
		}
		deps[n.uid] = struct{}{}
	}
	return old
}

// remove drops the node of uid and returns it (nil when absent). The uids of its dependents stay
// indexed under it: they dangle until they are collected or their references change.
func (g *graph) remove(uid string) *node {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.nodes[uid]
	if n != nil {
		g.unlinkLocked(n)
		delete(g.nodes, uid)
	}
	return n
}

// unlinkLocked removes n from its owners' dependents; the caller holds g.mu.
func (g *graph) unlinkLocked(n *node) {
	for _, r := range n.owners {
		if deps := g.dependents[r.GetUid()]; deps != nil {
			delete(deps, n.uid)
			if len(deps) == 0 {
				delete(g.dependents, r.GetUid())
			}
		}
	}
}

// get returns the node of uid.
func (g *graph) get(uid string) (*node, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	n, ok := g.nodes[uid]
	return n, ok
}

// dependentsOf returns the nodes whose ownerReferences name uid, in uid order.
func (g *graph) dependentsOf(uid string) []*node {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []*node
	for d := range g.dependents[uid] {
		if n, ok := g.nodes[d]; ok {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *node) int {
		switch {
		case a.uid < b.uid:
			return -1
		case a.uid > b.uid:
			return 1
		}
		return 0
	})
	return out
}
