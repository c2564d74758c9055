package endpoints

import (
	"sync"

	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// selectorIndex maps pods to the services that select them. It holds the parsed selector of every
// service with one, by namespace. It is safe for concurrent use.
type selectorIndex struct {
	mu sync.RWMutex
	// byNamespace maps a namespace to its services' keys and selectors.
	byNamespace map[string]map[string]labels.Selector
}

func newSelectorIndex() *selectorIndex {
	return &selectorIndex{byNamespace: map[string]map[string]labels.Selector{}}
}

// set records svc's selector, or forgets svc when it has none.
func (x *selectorIndex) set(svc *corev1.Service) {
	ns, key := svc.GetMetadata().GetNamespace(), scheme.Key(svc)
	sel := svc.GetSpec().GetSelector()
	x.mu.Lock()
	defer x.mu.Unlock()
	if sel == nil {
		x.removeLocked(ns, key)
		return
	}
	m := x.byNamespace[ns]
	if m == nil {
		m = map[string]labels.Selector{}
		x.byNamespace[ns] = m
	}
	m[key] = labels.SelectorFromSet(labels.Set(sel))
}

// remove forgets svc.
func (x *selectorIndex) remove(svc *corev1.Service) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(svc.GetMetadata().GetNamespace(), scheme.Key(svc))
}

func (x *selectorIndex) removeLocked(ns, key string) {
	if m := x.byNamespace[ns]; m != nil {
		delete(m, key)
		if len(m) == 0 {
			delete(x.byNamespace, ns)
		}
	}
}

// services adds to into the keys of the services of namespace whose selectors match podLabels.
func (x *selectorIndex) services(namespace string, podLabels map[string]string, into map[string]struct{}) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	set := labels.Set(podLabels)
	for key, sel := range x.byNamespace[namespace] {
		if sel.Matches(set) {
			into[key] = struct{}{}
		}
	}
}
