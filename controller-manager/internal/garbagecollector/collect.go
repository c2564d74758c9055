package garbagecollector

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// owners sorts an object's owner references by what became of the owners.
type owners struct {
	// solid owners exist and are not waiting for their dependents: they keep the object.
	solid []*metav1.OwnerReference
	// dangling owners are gone (or replaced by another object of the same name).
	dangling []*metav1.OwnerReference
	// waiting owners are being deleted in the foreground and wait for their dependents.
	waiting []*metav1.OwnerReference
}

// classify looks up each owner of n: in the graph, or, when the graph does not hold it, with a
// live GET, since the graph may only not have seen it yet.
func (c *Controller) classify(ctx context.Context, n *node) (owners, error) {
	var o owners
	for _, ref := range n.owners {
		if owner, ok := c.graph.get(ref.GetUid()); ok {
			if owner.deletingDependents() {
				o.waiting = append(o.waiting, ref)
			} else {
				o.solid = append(o.solid, ref)
			}
			continue
		}
		k, ok := c.ownerKind(ref)
		if !ok {
			// An owner of a kind this API does not serve cannot be checked: keep the object,
			// as deleting on a guess would lose data.
			c.lg.Debug("owner of an unknown kind", zap.String("object", objectName(n)),
				zap.String("apiVersion", ref.GetApiVersion()), zap.String("kind", ref.GetKind()))
			o.solid = append(o.solid, ref)
			continue
		}
		ns := ""
		if k.Namespaced {
			ns = n.namespace
		}
		live, err := client.ForKind(c.client, k, ns).Get(ctx, ref.GetName())
		switch {
		case apierrors.IsNotFound(err) || (err == nil && live.GetMetadata().GetUid() != ref.GetUid()):
			o.dangling = append(o.dangling, ref)
		case err != nil:
			return o, fmt.Errorf("get owner %s %s: %w", k.Resource, ref.GetName(), err)
		case live.GetMetadata().GetDeletionTimestamp() != nil && slices.Contains(live.GetMetadata().GetFinalizers(), finalizerForeground):
			o.waiting = append(o.waiting, ref)
		default:
			o.solid = append(o.solid, ref)
		}
	}
	return o, nil
}

// ownerKind resolves an owner reference's apiVersion and kind.
func (c *Controller) ownerKind(ref *metav1.OwnerReference) (*scheme.Kind, bool) {
	group, version, found := strings.Cut(ref.GetApiVersion(), "/")
	if !found {
		group, version = "", ref.GetApiVersion()
	}
	return c.client.Scheme().ByKind(scheme.GroupVersionKind{Group: group, Version: version, Kind: ref.GetKind()})
}

// attemptToDelete deletes n when none of its owners keeps it: with solid owners left it only
// drops its references to the others; otherwise it goes, in the foreground when an owner waits
// for it and it has dependents of its own, so the wait covers them too.
func (c *Controller) attemptToDelete(ctx context.Context, n *node) error {
	// The graph may lag the API: a dependent just orphaned still names its owner in the graph.
	// Decide on the object as stored now, and delete only that version of it.
	live, err := client.ForKind(c.client, n.kind, n.namespace).Get(ctx, n.name)
	if apierrors.IsNotFound(err) || (err == nil && live.GetMetadata().GetUid() != n.uid) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if !sameOwners(live.GetMetadata().GetOwnerReferences(), n.owners) {
		return fmt.Errorf("%s %s: owner references changed since the graph saw them; retrying", n.kind.Resource, objectName(n))
	}
	o, err := c.classify(ctx, n)
	if err != nil {
		return err
	}
	switch {
	case len(o.dangling) == 0 && len(o.waiting) == 0:
		return nil
	case len(o.solid) > 0:
		var drop []string
		for _, r := range append(o.dangling, o.waiting...) {
			drop = append(drop, r.GetUid())
		}
		return c.removeOwnerRefs(ctx, n, drop)
	}
	policy := client.DeleteBackground
	switch {
	case n.has(finalizerOrphan):
		policy = client.DeleteOrphan
	case n.has(finalizerForeground), len(o.waiting) > 0 && len(c.graph.dependentsOf(n.uid)) > 0:
		policy = client.DeleteForeground
	}
	err = client.ForKind(c.client, n.kind, n.namespace).Delete(ctx, n.name, client.DeleteOptions{
		PropagationPolicy: policy, PreconditionUID: n.uid, PreconditionResourceVersion: live.GetMetadata().GetResourceVersion(),
	})
	if apierrors.IsNotFound(err) {
		return nil // gone already
	}
	if apierrors.IsConflict(err) {
		return fmt.Errorf("%s %s changed while it was being collected; retrying", n.kind.Resource, objectName(n))
	}
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	c.lg.Info("deleted object whose owners are gone", zap.String("resource", n.kind.Resource),
		zap.String("object", objectName(n)), zap.String("propagationPolicy", policy))
	return nil
}

// deleteDependents advances n's foreground deletion: its dependents are queued for deletion,
// and once none that blocks the owner's deletion is left the foregroundDeletion finalizer is
// removed, letting n go.
func (c *Controller) deleteDependents(ctx context.Context, n *node) error {
	blocking := 0
	for _, d := range c.graph.dependentsOf(n.uid) {
		if d.ownerRef(n.uid).GetBlockOwnerDeletion() {
			blocking++
		}
		if !d.deleting {
			c.queue.Add(d.uid)
		}
	}
	if blocking > 0 {
		// The deletion of each blocking dependent queues n again.
		return nil
	}
	return c.removeFinalizer(ctx, n, finalizerForeground)
}

// orphanDependents removes every dependent's reference to n, then the orphan finalizer from n.
func (c *Controller) orphanDependents(ctx context.Context, n *node) error {
	for _, d := range c.graph.dependentsOf(n.uid) {
		if err := c.removeOwnerRefs(ctx, d, []string{n.uid}); err != nil {
			return fmt.Errorf("orphan %s %s: %w", d.kind.Resource, objectName(d), err)
		}
	}
	return c.removeFinalizer(ctx, n, finalizerOrphan)
}

// removeOwnerRefs removes n's ownerReferences to the owners with uids, writing the object as
// read now so that a concurrent change makes the write conflict and the work retry.
func (c *Controller) removeOwnerRefs(ctx context.Context, n *node, uids []string) error {
	return c.rewrite(ctx, n, func(m *metav1.ObjectMeta) bool {
		before := len(m.OwnerReferences)
		m.OwnerReferences = slices.DeleteFunc(m.OwnerReferences, func(r *metav1.OwnerReference) bool {
			return slices.Contains(uids, r.GetUid())
		})
		return len(m.OwnerReferences) != before
	})
}

// removeFinalizer removes finalizer f from n.
func (c *Controller) removeFinalizer(ctx context.Context, n *node, f string) error {
	return c.rewrite(ctx, n, func(m *metav1.ObjectMeta) bool {
		before := len(m.Finalizers)
		m.Finalizers = slices.DeleteFunc(m.Finalizers, func(x string) bool { return x == f })
		return len(m.Finalizers) != before
	})
}

// rewrite reads n afresh, lets change edit its metadata and, when change reports an edit,
// updates the object guarded on the resourceVersion read. An object gone, or replaced by another
// of the same name, needs nothing.
func (c *Controller) rewrite(ctx context.Context, n *node, change func(*metav1.ObjectMeta) bool) error {
	r := client.ForKind(c.client, n.kind, n.namespace)
	obj, err := r.Get(ctx, n.name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if obj.GetMetadata().GetUid() != n.uid || !change(scheme.Meta(obj)) {
		return nil
	}
	if _, err := r.Update(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}
