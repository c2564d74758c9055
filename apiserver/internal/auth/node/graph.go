package node

import (
	"sync"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// objectKey names a namespaced object of a resource.
type objectKey struct {
	Resource, Namespace, Name string
}

// podKey names a pod.
type podKey struct {
	Namespace, Name string
}

// podEntry is what the graph remembers of a bound pod: its node and what it references.
type podEntry struct {
	node string
	uid  string
	refs []objectKey
}

// Graph holds which pods are bound to which node and which objects those pods reference, and
// answers in constant time whether a node may reach a pod or an object through one of its pods.
// Pods not yet bound to a node are not in it. It is safe for concurrent use.
type Graph struct {
	mu   sync.RWMutex
	pods map[podKey]podEntry
	// refs counts, per node, the pods bound to it that reference each object.
	refs map[string]map[objectKey]int
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{pods: map[podKey]podEntry{}, refs: map[string]map[objectKey]int{}}
}

// SetPod records pod as it is now, replacing what the graph held of it; a pod bound to no node is
// removed.
func (g *Graph) SetPod(pod *corev1.Pod) {
	key := podKey{Namespace: pod.GetMetadata().GetNamespace(), Name: pod.GetMetadata().GetName()}
	entry, bound := entryOf(pod)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeLocked(key)
	if bound {
		g.addLocked(key, entry)
	}
}

// DeletePod forgets the pod namespace/name.
func (g *Graph) DeletePod(namespace, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeLocked(podKey{Namespace: namespace, Name: name})
}

// Replace makes pods the graph's whole content, as after a fresh list.
func (g *Graph) Replace(pods []*corev1.Pod) {
	pm := make(map[podKey]podEntry, len(pods))
	for _, p := range pods {
		if e, ok := entryOf(p); ok {
			pm[podKey{Namespace: p.GetMetadata().GetNamespace(), Name: p.GetMetadata().GetName()}] = e
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pods = map[podKey]podEntry{}
	g.refs = map[string]map[objectKey]int{}
	for k, e := range pm {
		g.addLocked(k, e)
	}
}

// PodNode returns the node the pod namespace/name is bound to and the pod's uid, or ok false when
// the graph holds no such bound pod.
func (g *Graph) PodNode(namespace, name string) (node, uid string, ok bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	e, ok := g.pods[podKey{Namespace: namespace, Name: name}]
	return e.node, e.uid, ok
}

// NodeReferences reports whether a pod bound to node references the object of resource (one of
// the Kind constants) namespace/name.
func (g *Graph) NodeReferences(node, resource, namespace, name string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.refs[node][objectKey{Resource: resource, Namespace: namespace, Name: name}] > 0
}

func entryOf(pod *corev1.Pod) (podEntry, bool) {
	node := pod.GetSpec().GetNodeName()
	if node == "" {
		return podEntry{}, false
	}
	ns := pod.GetMetadata().GetNamespace()
	refs := PodReferences(pod)
	e := podEntry{node: node, uid: pod.GetMetadata().GetUid(), refs: make([]objectKey, len(refs))}
	for i, r := range refs {
		e.refs[i] = objectKey{Resource: r.Resource, Namespace: ns, Name: r.Name}
	}
	return e, true
}

func (g *Graph) addLocked(key podKey, e podEntry) {
	g.pods[key] = e
	m := g.refs[e.node]
	if m == nil {
		m = map[objectKey]int{}
		g.refs[e.node] = m
	}
	for _, r := range e.refs {
		m[r]++
	}
}

func (g *Graph) removeLocked(key podKey) {
	e, ok := g.pods[key]
	if !ok {
		return
	}
	delete(g.pods, key)
	m := g.refs[e.node]
	for _, r := range e.refs {
		if m[r]--; m[r] <= 0 {
			delete(m, r)
		}
	}
	if len(m) == 0 {
		delete(g.refs, e.node)
	}
}
