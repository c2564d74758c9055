package cache

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// cleanupPeriod is how often Run looks for expired assumptions.
const cleanupPeriod = time.Second

// Cache holds nodes and pods. It is safe for concurrent use.
type Cache struct {
	clock clock.Clock
	ttl   time.Duration
	lg    *zap.Logger

	mu sync.RWMutex
	// nodes holds a NodeInfo per node name, including names whose node is gone but whose pods are
	// not yet; the items form a list from the most recently changed (head) on.
	nodes map[string]*nodeItem
	head  *nodeItem
	// order lists the names of nodes that exist, in the order they were added.
	order      []string
	pods       map[string]*podState
	imageNodes map[string]int
	generation int64
	// nodeSetChanged and imagesChanged say what UpdateSnapshot must rebuild beyond changed nodes.
	nodeSetChanged bool
	imagesChanged  bool
}

type nodeItem struct {
	info       *nodeinfo.NodeInfo
	prev, next *nodeItem
}

// podState is a pod the cache accounts for.
type podState struct {
	pod             *nodeinfo.PodInfo
	node            string
	assumed         bool
	bindingFinished bool
	deadline        time.Time
}

// New returns an empty cache. An assumed pod whose binding finished and whose confirmation has
// not arrived within ttl is dropped; ttl 0 keeps it until it is confirmed, forgotten or deleted.
func New(ttl time.Duration, clk clock.Clock, lg *zap.Logger) *Cache {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	return &Cache{
		clock: clk, ttl: ttl, lg: lg,
		nodes: map[string]*nodeItem{}, pods: map[string]*podState{}, imageNodes: map[string]int{},
	}
}

// Run drops expired assumptions every second until ctx ends.
func (c *Cache) Run(ctx context.Context) error {
	t := c.clock.NewTicker(cleanupPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
			c.cleanupExpired()
		}
	}
}

// AssumePod accounts for pod on node before its binding is written. The pod object itself is
// left as it is (unassigned): the cache reads only the PodInfo's parsed values.
func (c *Cache) AssumePod(pod *nodeinfo.PodInfo, node string) error {
	if node == "" {
		return fmt.Errorf("assume pod %s: no node given", pod.Key)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pods[pod.Key]; ok {
		return fmt.Errorf("assume pod %s: the cache holds it already", pod.Key)
	}
	c.addPodLocked(pod, node)
	c.pods[pod.Key] = &podState{pod: pod, node: node, assumed: true}
	return nil
}

// FinishBinding starts the expiry clock of an assumed pod whose binding was written.
func (c *Cache) FinishBinding(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[key]; ok && ps.assumed {
		ps.bindingFinished = true
		ps.deadline = c.clock.Now().Add(c.ttl)
	}
}

// ForgetPod drops an assumed pod, after its binding failed. A pod that is no longer only assumed
// (its binding was confirmed meanwhile) stays.
func (c *Cache) ForgetPod(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[key]; ok && ps.assumed {
		c.removePodLocked(ps)
		delete(c.pods, key)
	}
}

// IsAssumed reports whether the pod with key is assumed and not yet confirmed.
func (c *Cache) IsAssumed(key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ps, ok := c.pods[key]
	return ok && ps.assumed
}

// AddPod accounts for an assigned pod the informer reports, confirming its assumption if there
// was one. A pod the cache holds already is updated instead.
func (c *Cache) AddPod(pod *corev1.Pod) { c.setPod(pod) }

// UpdatePod replaces an assigned pod with its new state.
func (c *Cache) UpdatePod(pod *corev1.Pod) { c.setPod(pod) }

func (c *Cache) setPod(pod *corev1.Pod) {
	pi, err := nodeinfo.NewPodInfo(pod)
	if err != nil {
		c.lg.Warn("accounting for a pod that does not fully parse", zap.Error(err))
	}
	node := pod.GetSpec().GetNodeName()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[pi.Key]; ok {
		c.removePodLocked(ps)
	}
	c.addPodLocked(pi, node)
	c.pods[pi.Key] = &podState{pod: pi, node: node}
}

// RemovePod stops accounting for the pod, assumed or not.
func (c *Cache) RemovePod(pod *corev1.Pod) {
	key := nodeinfo.PodKey(pod)
	c.mu.Lock()
	defer c.mu.Unlock()
	if ps, ok := c.pods[key]; ok {
		c.removePodLocked(ps)
		delete(c.pods, key)
	}
}

// AddNode adds or updates a node.
func (c *Cache) AddNode(node *corev1.Node) { c.setNode(node) }

// UpdateNode updates a node.
func (c *Cache) UpdateNode(node *corev1.Node) { c.setNode(node) }

func (c *Cache) setNode(node *corev1.Node) {
	name := node.GetMetadata().GetName()
	c.mu.Lock()
	defer c.mu.Unlock()
	item, ok := c.nodes[name]
	if !ok {
		item = &nodeItem{info: nodeinfo.New()}
		c.nodes[name] = item
	}
	if item.info.Node() == nil {
		c.order = append(c.order, name)
		c.nodeSetChanged = true
	}
	c.countImages(item.info.Images, -1)
	item.info.SetNode(node)
	c.countImages(item.info.Images, 1)
	c.touchLocked(item)
}

// RemoveNode removes the named node. Its pods stay accounted for until they are removed, so a
// node that comes back finds them.
func (c *Cache) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	item, ok := c.nodes[name]
	if !ok || item.info.Node() == nil {
		return
	}
	c.countImages(item.info.Images, -1)
	item.info.RemoveNode()
	c.order = slices.DeleteFunc(c.order, func(n string) bool { return n == name })
	c.nodeSetChanged = true
	if len(item.info.Pods) == 0 {
		c.unlinkLocked(item)
		delete(c.nodes, name)
		return
	}
	c.touchLocked(item)
}

// NumNodes returns the number of nodes.
func (c *Cache) NumNodes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.order)
}

// Sizes returns the number of nodes, of pods accounted for (assumed ones included) and of pods
// only assumed.
func (c *Cache) Sizes() (nodes, pods, assumed int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, ps := range c.pods {
		if ps.assumed {
			assumed++
		}
	}
	return len(c.order), len(c.pods), assumed
}

// NumPods returns the number of pods accounted for, assumed ones included.
func (c *Cache) NumPods() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.pods)
}

func (c *Cache) countImages(images map[string]int64, delta int) {
	for name := range images {
		c.imageNodes[name] += delta
		if c.imageNodes[name] <= 0 {
			delete(c.imageNodes, name)
		}
	}
	if len(images) > 0 {
		c.imagesChanged = true
	}
}

// addPodLocked accounts for pod on node, creating a node-less NodeInfo if the node is unknown.
func (c *Cache) addPodLocked(pod *nodeinfo.PodInfo, node string) {
	item, ok := c.nodes[node]
	if !ok {
		item = &nodeItem{info: nodeinfo.New()}
		c.nodes[node] = item
	}
	item.info.AddPod(pod)
	c.touchLocked(item)
}

func (c *Cache) removePodLocked(ps *podState) {
	item, ok := c.nodes[ps.node]
	if !ok || !item.info.RemovePod(ps.pod.Key) {
		c.lg.Warn("removing a pod its node does not hold", zap.String("pod", ps.pod.Key), zap.String("node", ps.node))
		return
	}
	if item.info.Node() == nil && len(item.info.Pods) == 0 {
		c.unlinkLocked(item)
		delete(c.nodes, ps.node)
		return
	}
	c.touchLocked(item)
}

// touchLocked gives item a new generation and moves it to the head of the list.
func (c *Cache) touchLocked(item *nodeItem) {
	c.generation++
	item.info.Generation = c.generation
	if c.head == item {
		return
	}
	c.unlinkLocked(item)
	item.next = c.head
	if c.head != nil {
		c.head.prev = item
	}
	c.head = item
}

func (c *Cache) unlinkLocked(item *nodeItem) {
	if item.prev != nil {
		item.prev.next = item.next
	}
	if item.next != nil {
		item.next.prev = item.prev
	}
	if c.head == item {
		c.head = item.next
	}
	item.prev, item.next = nil, nil
}

func (c *Cache) cleanupExpired() {
	if c.ttl <= 0 {
		return
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, ps := range c.pods {
		if ps.assumed && ps.bindingFinished && now.After(ps.deadline) {
			c.lg.Warn("assumed pod expired: its binding was never confirmed", zap.String("pod", key), zap.String("node", ps.node))
			c.removePodLocked(ps)
			delete(c.pods, key)
		}
	}
}

// UpdateSnapshot brings snap up to date: it clones the nodes changed since snap's generation
// into it and rebuilds its lists when nodes came or went. snap must be one only this cache
// updates, and nothing may read it meanwhile.
func (c *Cache) UpdateSnapshot(snap *nodeinfo.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rebuildLists := false
	for item := c.head; item != nil && item.info.Generation > snap.Generation; item = item.next {
		if item.info.Node() == nil {
			continue // dropped from the snapshot below
		}
		name := item.info.Name()
		clone := item.info.Clone()
		existing, ok := snap.NodeInfoMap[name]
		switch {
		case !ok:
			snap.NodeInfoMap[name] = clone
			c.nodeSetChanged = true
		default:
			if (len(existing.PodsWithAffinity) > 0) != (len(clone.PodsWithAffinity) > 0) ||
				(len(existing.PodsWithRequiredAntiAffinity) > 0) != (len(clone.PodsWithRequiredAntiAffinity) > 0) {
				rebuildLists = true
			}
			// Overwrite in place so that the snapshot's lists keep pointing at it.
			*existing = *clone
		}
	}
	if c.head != nil {
		snap.Generation = c.head.info.Generation
	}
	if c.nodeSetChanged {
		for name := range snap.NodeInfoMap {
			if item, ok := c.nodes[name]; !ok || item.info.Node() == nil {
				delete(snap.NodeInfoMap, name)
			}
		}
		snap.NodeInfoList = snap.NodeInfoList[:0]
		for _, name := range c.order {
			snap.NodeInfoList = append(snap.NodeInfoList, snap.NodeInfoMap[name])
		}
		c.nodeSetChanged = false
		rebuildLists = true
	}
	if rebuildLists {
		snap.RebuildLists()
	}
	if c.imagesChanged {
		snap.ImageNodes = maps.Clone(c.imageNodes)
		c.imagesChanged = false
	}
}
