package podsource

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Posted holds the static pods posted to the kubelet's HTTP server (POST /manifests) and sets
// them on a Setter under KeyPost. A posted pod replaces one of the same name; Remove stops one.
// Its methods are safe for concurrent use.
type Posted struct {
	scheme *scheme.Scheme
	out    Setter

	mu      sync.Mutex
	stamper *stamper
	pods    map[string]*corev1.Pod // by full name
}

// NewPosted returns an empty set of posted pods for node nodeName.
func NewPosted(nodeName string, sch *scheme.Scheme, out Setter, clk clock.Clock) *Posted {
	return &Posted{scheme: sch, out: out, stamper: newStamper(SourceHTTP, nodeName, clk.Now), pods: map[string]*corev1.Pod{}}
}

// Post decodes a manifest and adds its pods. A manifest with any bad pod is refused whole, with
// an error naming each bad part, and changes nothing.
func (p *Posted) Post(data []byte) ([]*corev1.Pod, error) {
	decoded, errs := DecodeManifests(p.scheme, data)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(decoded) == 0 {
		return nil, errors.New("the manifest holds no pod")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pods := p.stamper.stamp(decoded)
	for _, pod := range pods {
		p.pods[FullName(pod)] = pod
	}
	p.pushLocked()
	return pods, nil
}

// Remove drops the posted pod namespace/name (the static pod's name, with its node suffix) and
// reports whether there was one.
func (p *Posted) Remove(namespace, name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := namespace + "/" + name
	if _, ok := p.pods[key]; !ok {
		return false
	}
	delete(p.pods, key)
	p.pushLocked()
	return true
}

func (p *Posted) pushLocked() {
	all := make([]*corev1.Pod, 0, len(p.pods))
	for _, pod := range p.pods {
		all = append(all, pod)
	}
	slices.SortFunc(all, func(a, b *corev1.Pod) int { return strings.Compare(FullName(a), FullName(b)) })
	p.stamper.forgetExcept(all)
	p.out.Set(KeyPost, all)
}
