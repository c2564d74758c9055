package nodelifecycle

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Condition statuses and the node conditions the kubelet posts.
const (
	statusTrue    = "True"
	statusFalse   = "False"
	statusUnknown = "Unknown"

	conditionReady = "Ready"
)

// kubeletConditions are the conditions a silent kubelet can no longer vouch for: they all become
// Unknown when its node is marked unhealthy.
var kubeletConditions = []string{conditionReady, "MemoryPressure", "DiskPressure", "PIDPressure"}

// Reasons the controller writes on the conditions it sets, as Kubernetes names them.
const (
	ReasonNodeStatusUnknown      = "NodeStatusUnknown"
	ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
)

// nodeHealth is what the controller observed of one node's signs of life. Times are on the
// controller's own clock, when it saw a change, so a kubelet's skewed clock cannot keep its
// node healthy or make it unhealthy.
type nodeHealth struct {
	// probe is when a sign of life was last seen.
	probe time.Time
	// heartbeat is the Ready condition's lastHeartbeatTime last seen; renew the Lease's renewTime.
	heartbeat, renew time.Time
}

// observe updates node's health record from its Ready heartbeat and Lease renewal and returns
// when it was last seen alive.
func (c *Controller) observe(node *corev1.Node) time.Time {
	name := node.GetMetadata().GetName()
	heartbeat := condition(node, conditionReady).GetLastHeartbeatTime().AsTime()
	var renew time.Time
	if l, ok := c.leases.Lister().Get(LeaseNamespace, name); ok && l.GetSpec().GetRenewTime() != nil {
		renew = l.GetSpec().GetRenewTime().AsTime()
	}
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.health[name]
	if !ok {
		// A node first seen gets a full grace period from now, or from its creation when its
		// kubelet never posted a Ready condition (the startup grace period applies then).
		h = &nodeHealth{probe: now, heartbeat: heartbeat, renew: renew}
		if condition(node, conditionReady) == nil {
			h.probe = node.GetMetadata().GetCreationTimestamp().AsTime()
		}
		c.health[name] = h
		return h.probe
	}
	if !heartbeat.Equal(h.heartbeat) {
		h.heartbeat, h.probe = heartbeat, now
	}
	if !renew.Equal(h.renew) {
		h.renew, h.probe = renew, now
	}
	return h.probe
}

// updateHealth marks node unhealthy when no sign of life came within the grace period: its
// kubelet conditions become Unknown. It returns the node as it now is.
func (c *Controller) updateHealth(ctx context.Context, node *corev1.Node) (*corev1.Node, error) {
	probe := c.observe(node)
	grace := c.opts.GracePeriod
	if condition(node, conditionReady) == nil {
		grace = c.opts.StartupGracePeriod
	}
	now := c.clock.Now()
	if now.Sub(probe) <= grace {
		return node, nil
	}
	next, changed := unknownConditions(node, now)
	if !changed {
		return node, nil
	}
	updated, err := c.client.Nodes().UpdateStatus(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("mark node %s unhealthy: %w", node.GetMetadata().GetName(), err)
	}
	c.event(updated, events.TypeNormal, "NodeNotReady", "Node %s status is now: NodeNotReady", node.GetMetadata().GetName())
	return updated, nil
}

// unknownConditions returns a copy of node whose kubelet conditions are Unknown, and whether any
// changed. A condition the kubelet never posted is added as never updated.
func unknownConditions(node *corev1.Node, now time.Time) (*corev1.Node, bool) {
	next := node.CloneVT()
	if next.Status == nil {
		next.Status = &corev1.NodeStatus{}
	}
	ts := timestamppb.New(now)
	changed := false
	for _, typ := range kubeletConditions {
		cond := condition(next, typ)
		switch {
		case cond == nil:
			next.Status.Conditions = append(next.Status.Conditions, &corev1.NodeCondition{
				Type: typ, Status: statusUnknown, Reason: ReasonNodeStatusNeverUpdated,
				Message:           "Kubelet never posted node status.",
				LastHeartbeatTime: next.GetMetadata().GetCreationTimestamp(), LastTransitionTime: ts,
			})
			changed = true
		case cond.GetStatus() != statusUnknown:
			cond.Status, cond.Reason, cond.Message = statusUnknown, ReasonNodeStatusUnknown, "Kubelet stopped posting node status."
			cond.LastTransitionTime = ts
			changed = true
		}
	}
	return next, changed
}

// condition returns node's condition of type typ, or nil.
func condition(node *corev1.Node, typ string) *corev1.NodeCondition {
	for _, c := range node.GetStatus().GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

// readyStatus returns the status of node's Ready condition, "" when it has none.
func readyStatus(node *corev1.Node) string {
	return condition(node, conditionReady).GetStatus()
}
