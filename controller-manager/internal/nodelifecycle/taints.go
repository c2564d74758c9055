package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/taints"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The taints the controller keeps in line with node state, as Kubernetes names them.
const (
	TaintNotReady           = "node.kubernetes.io/not-ready"
	TaintUnreachable        = "node.kubernetes.io/unreachable"
	TaintMemoryPressure     = "node.kubernetes.io/memory-pressure"
	TaintDiskPressure       = "node.kubernetes.io/disk-pressure"
	TaintPIDPressure        = "node.kubernetes.io/pid-pressure"
	TaintNetworkUnavailable = "node.kubernetes.io/network-unavailable"
	TaintUnschedulable      = "node.kubernetes.io/unschedulable"
)

// noScheduleKeys are the NoSchedule taints the controller owns; noExecuteKeys the NoExecute ones.
var (
	noScheduleKeys = []string{TaintNotReady, TaintUnreachable, TaintMemoryPressure, TaintDiskPressure,
		TaintPIDPressure, TaintNetworkUnavailable, TaintUnschedulable}
	noExecuteKeys = []string{TaintNotReady, TaintUnreachable}
)

// noScheduleTaints returns the keys of the NoSchedule taints node's conditions and spec call for.
func noScheduleTaints(node *corev1.Node) []string {
	var keys []string
	switch readyStatus(node) {
	case statusFalse:
		keys = append(keys, TaintNotReady)
	case statusUnknown:
		keys = append(keys, TaintUnreachable)
	}
	for typ, key := range map[string]string{
		"MemoryPressure": TaintMemoryPressure, "DiskPressure": TaintDiskPressure,
		"PIDPressure": TaintPIDPressure, "NetworkUnavailable": TaintNetworkUnavailable,
	} {
		if condition(node, typ).GetStatus() == statusTrue {
			keys = append(keys, key)
		}
	}
	if node.GetSpec().GetUnschedulable() {
		keys = append(keys, TaintUnschedulable)
	}
	return keys
}

// noExecuteKey returns the NoExecute taint node's readiness calls for, "" when ready or unknown
// to the kubelet.
func noExecuteKey(node *corev1.Node) string {
	switch readyStatus(node) {
	case statusFalse:
		return TaintNotReady
	case statusUnknown:
		return TaintUnreachable
	}
	return ""
}

// currentNoExecute returns the key of the controller's NoExecute taint on node, "" if none.
func currentNoExecute(node *corev1.Node) string {
	for _, t := range node.GetSpec().GetTaints() {
		if t.GetEffect() == taints.EffectNoExecute && slices.Contains(noExecuteKeys, t.GetKey()) {
			return t.GetKey()
		}
	}
	return ""
}

// reconcileTaints brings every node's controller-owned taints in line with its state. NoSchedule
// taints follow at once; a NoExecute taint is swapped or removed at once but added only as the
// node's zone's rate allows, and never while every zone is fully disrupted.
func (c *Controller) reconcileTaints(ctx context.Context, nodes []*corev1.Node) error {
	now := c.clock.Now()
	zones := countZones(nodes)
	allDisrupted := len(zones) > 0
	states := map[string]zoneState{}
	for name, z := range zones {
		states[name] = z.state(c.opts.UnhealthyZoneThreshold)
		if states[name] != zoneFullDisruption {
			allDisrupted = false
		}
	}
	c.mu.Lock()
	for name, z := range zones {
		if b, ok := c.zones[name]; ok {
			b.setRate(c.rate(states[name], z.size), now)
		} else {
			c.zones[name] = newTokenBucket(c.rate(states[name], z.size), now)
		}
	}
	for name := range c.zones {
		if _, ok := zones[name]; !ok {
			delete(c.zones, name)
		}
	}
	c.mu.Unlock()
	if allDisrupted {
		c.lg.Debug("every zone is fully disrupted: no node is tainted for eviction")
	}

	var errs []error
	for _, n := range nodes {
		want := noExecuteKey(n)
		has := currentNoExecute(n)
		switch {
		case allDisrupted:
			want = ""
		case want != "" && has == "":
			// A new eviction: it waits for its zone's rate.
			c.mu.Lock()
			ok := c.zones[zoneOf(n)].take(now)
			c.mu.Unlock()
			if !ok {
				want = ""
			}
		}
		if err := c.applyTaints(ctx, n, noScheduleTaints(n), want, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// applyTaints sets node's controller-owned taints to the NoSchedule keys noSchedule and the
// NoExecute key noExecute (none when ""), keeping every other taint and the time each kept one
// was added. It writes only when something changes, retrying once on a conflict.
func (c *Controller) applyTaints(ctx context.Context, node *corev1.Node, noSchedule []string, noExecute string, now time.Time) error {
	name := node.GetMetadata().GetName()
	for attempt := 0; ; attempt++ {
		next, changed := withTaints(node, noSchedule, noExecute, now)
		if !changed {
			return nil
		}
		updated, err := c.client.Nodes().Update(ctx, next)
		if err == nil {
			c.logTaintChange(node, updated)
			return nil
		}
		if !apierrors.IsConflict(err) || attempt > 0 {
			return fmt.Errorf("taint node %s: %w", name, err)
		}
		if node, err = c.client.Nodes().Get(ctx, name); err != nil {
			return fmt.Errorf("taint node %s: %w", name, err)
		}
	}
}

// withTaints returns a copy of node with its controller-owned taints as asked, and whether that
// differs from node.
func withTaints(node *corev1.Node, noSchedule []string, noExecute string, now time.Time) (*corev1.Node, bool) {
	want := map[[2]string]bool{}
	for _, k := range noSchedule {
		want[[2]string{k, taints.EffectNoSchedule}] = true
	}
	if noExecute != "" {
		want[[2]string{noExecute, taints.EffectNoExecute}] = true
	}
	owned := func(t *corev1.Taint) bool {
		return (t.GetEffect() == taints.EffectNoSchedule && slices.Contains(noScheduleKeys, t.GetKey())) ||
			(t.GetEffect() == taints.EffectNoExecute && slices.Contains(noExecuteKeys, t.GetKey()))
	}
	var out []*corev1.Taint
	changed := false
	for _, t := range node.GetSpec().GetTaints() {
		id := [2]string{t.GetKey(), t.GetEffect()}
		switch {
		case !owned(t):
			out = append(out, t)
		case want[id]:
			out = append(out, t)
			delete(want, id)
		default:
			changed = true
		}
	}
	// Added in a fixed order, so that two passes write the same list.
	for _, k := range append(slices.Clone(noScheduleKeys), noExecute) {
		for _, effect := range []string{taints.EffectNoSchedule, taints.EffectNoExecute} {
			if want[[2]string{k, effect}] {
				out = append(out, &corev1.Taint{Key: k, Effect: effect, TimeAdded: timestamppb.New(now)})
				delete(want, [2]string{k, effect})
				changed = true
			}
		}
	}
	if !changed {
		return node, false
	}
	next := node.CloneVT()
	if next.Spec == nil {
		next.Spec = &corev1.NodeSpec{}
	}
	// TimeAdded is kept on the taints carried over: it starts their pods' toleration clocks.
	next.Spec.Taints = make([]*corev1.Taint, len(out))
	for i, t := range out {
		next.Spec.Taints[i] = t.CloneVT()
	}
	return next, true
}

// logTaintChange records the NoExecute taint added to or removed from a node.
func (c *Controller) logTaintChange(old, cur *corev1.Node) {
	before, after := currentNoExecute(old), currentNoExecute(cur)
	if before == after {
		return
	}
	c.lg.Info("node eviction taint changed", zap.String("node", cur.GetMetadata().GetName()),
		zap.String("from", before), zap.String("to", after))
	if after != "" {
		c.event(cur, events.TypeNormal, "EvictionTaintAdded", "Node %s tainted %s:NoExecute", cur.GetMetadata().GetName(), after)
	}
}
