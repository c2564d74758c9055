package podsource

import (
	"sync"

	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// indexNodeName indexes pods by spec.nodeName.
const indexNodeName = "spec.nodeName"

// APIPods routes one pod informer's changes to the nodes they concern: each node registers a
// callback and is called with all of its pods whenever one of them changes. One informer — over
// every pod, or field-selected to one node — thus serves any number of node agents in one process
// with one handler and one index, rather than a watch or a handler per node.
type APIPods struct {
	inf *informer.Informer[*corev1.Pod]

	mu    sync.Mutex
	nodes map[string]func(pods []*corev1.Pod)
}

// NewAPIPods indexes inf by node and routes its changes. Call it before the informer starts.
func NewAPIPods(inf *informer.Informer[*corev1.Pod]) (*APIPods, error) {
	a := &APIPods{inf: inf, nodes: map[string]func([]*corev1.Pod){}}
	err := inf.AddIndexers(map[string]informer.IndexFunc[*corev1.Pod]{
		indexNodeName: func(p *corev1.Pod) []string {
			if n := p.GetSpec().GetNodeName(); n != "" {
				return []string{n}
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	inf.AddHandler(informer.Handler[*corev1.Pod]{
		OnAdd:    func(p *corev1.Pod) { a.changed(p.GetSpec().GetNodeName()) },
		OnUpdate: func(old, cur *corev1.Pod) { a.changed(old.GetSpec().GetNodeName(), cur.GetSpec().GetNodeName()) },
		OnDelete: func(p *corev1.Pod) { a.changed(p.GetSpec().GetNodeName()) },
	})
	return a, nil
}

// Register calls fn with nodeName's pods on every change to them, from the informer's handler
// goroutine (one call at a time); and once at once if the informer has listed, so that a node
// registered late learns its pods, also while the handler is still going through the first list
// and may have passed this node's pods before the node was registered.
func (a *APIPods) Register(nodeName string, fn func(pods []*corev1.Pod)) {
	a.mu.Lock()
	a.nodes[nodeName] = fn
	a.mu.Unlock()
	if a.inf.HasListed() {
		fn(a.Pods(nodeName))
	}
}

// Pods returns nodeName's pods in the informer's cache.
func (a *APIPods) Pods(nodeName string) []*corev1.Pod {
	return a.inf.Lister().ByIndex(indexNodeName, nodeName)
}

// HasSynced reports whether the informer has listed once.
func (a *APIPods) HasSynced() bool { return a.inf.HasSynced() }

func (a *APIPods) changed(nodes ...string) {
	for i, n := range nodes {
		if n == "" || (i > 0 && n == nodes[0]) {
			continue
		}
		a.mu.Lock()
		fn := a.nodes[n]
		a.mu.Unlock()
		if fn != nil {
			fn(a.Pods(n))
		}
	}
}
