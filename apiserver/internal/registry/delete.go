package registry

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Finalizers the garbage collector acts on, recorded from a delete's propagationPolicy.
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"
)

// Propagation policies a delete may ask for.
const (
	PropagationOrphan     = "Orphan"
	PropagationBackground = "Background"
	PropagationForeground = "Foreground"
)

// defaultPodGracePeriod applies when neither the request nor the pod names one.
const defaultPodGracePeriod = 30

// DeleteOptions qualify a Delete.
type DeleteOptions struct {
	// GracePeriodSeconds overrides the pod's terminationGracePeriodSeconds; 0 deletes at once.
	GracePeriodSeconds *int64
	// PreconditionUID and PreconditionResourceVersion must match the stored object.
	PreconditionUID             string
	PreconditionResourceVersion string
	// PropagationPolicy is Orphan, Background or Foreground ("" is Background).
	PropagationPolicy string
	// OrphanDependents is the deprecated form of PropagationPolicy: true means Orphan, false
	// Background. It applies only when PropagationPolicy is "".
	OrphanDependents *bool
	DryRun           bool
}

// propagation returns the propagation policy opts ask for, or BadRequest for an unknown one.
func (opts DeleteOptions) propagation() (string, error) {
	p := opts.PropagationPolicy
	if p == "" && opts.OrphanDependents != nil {
		p = PropagationBackground
		if *opts.OrphanDependents {
			p = PropagationOrphan
		}
	}
	switch p {
	case "", PropagationOrphan, PropagationBackground, PropagationForeground:
		return p, nil
	}
	return "", apierrors.NewBadRequest("propagationPolicy %q is not supported: use Orphan, Background or Foreground", p)
}

// Delete deletes the named object, or marks it for deletion when finalizers or a pod's grace period
// hold it. It returns the object as the delete left it and whether it is gone from storage.
func (s *Store) Delete(ctx context.Context, namespace, name string, opts DeleteOptions) (scheme.Object, bool, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, false, err
	}
	policy, err := opts.propagation()
	if err != nil {
		return nil, false, err
	}
	opts.PropagationPolicy, opts.OrphanDependents = policy, nil
	if s.kind.Kind == "Namespace" && isSystemNamespace(name) {
		return nil, false, apierrors.NewForbidden(s.kind.Group, s.kind.Resource, name, "this namespace may not be deleted")
	}
	key := s.key(namespace, name)
	kv, err := s.storage.Get(ctx, key, 0)
	if err != nil {
		return nil, false, s.storageErr(name, err)
	}
	for {
		cur := kv.Object
		if err := s.checkPreconditions(cur, opts.PreconditionResourceVersion, opts.PreconditionUID); err != nil {
			return nil, false, err
		}
		if err := s.admitDelete(ctx, namespace, cur, opts.DryRun); err != nil {
			return nil, false, err
		}
		next, mustWait := s.markDeleted(cloneObject(cur), opts)
		if !mustWait {
			if opts.DryRun {
				return cur, true, nil
			}
			rev, latest, err := s.deleteKey(ctx, key, cur, kv.ModRevision)
			if errors.Is(err, storage.ErrConflict) {
				kv = latest
				continue
			}
			if err != nil {
				return nil, false, s.storageErr(name, err)
			}
			s.namespaceDeleted(rev)
			return cur, true, nil
		}
		if next == nil || opts.DryRun {
			if next == nil {
				next = cur
			}
			return next, false, nil
		}
		res, err := s.storage.Update(ctx, key, next, kv.ModRevision)
		if errors.Is(err, storage.ErrConflict) {
			kv = res
			continue
		}
		if err != nil {
			return nil, false, s.storageErr(name, err)
		}
		s.namespaceDeleted(res.ModRevision)
		return res.Object, false, nil
	}
}

// markDeleted decides what a delete does to obj. mustWait is false when the object can be removed
// now; otherwise next is the object to store (with deletionTimestamp set, the propagation finalizer
// recorded, a shorter grace period applied), or nil when the stored object already says all that.
func (s *Store) markDeleted(obj scheme.Object, opts DeleteOptions) (next scheme.Object, mustWait bool) {
	m := scheme.Meta(obj)
	grace := s.gracePeriod(obj, opts)
	changed := setPropagationFinalizers(m, opts.PropagationPolicy)
	held := len(m.Finalizers) > 0
	if ns, ok := obj.(*corev1.Namespace); ok {
		held = held || len(ns.GetSpec().GetFinalizers()) > 0
		if ns.Status == nil {
			ns.Status = &corev1.NamespaceStatus{}
		}
		if ns.Status.Phase != "Terminating" {
			ns.Status.Phase = "Terminating"
			changed = true
		}
	}
	if !held && grace == 0 {
		return nil, false
	}
	switch {
	case m.DeletionTimestamp == nil:
		m.DeletionTimestamp = timestamppb.New(s.clock.Now().Add(time.Duration(grace) * time.Second).Truncate(time.Second))
		m.DeletionGracePeriodSeconds = &grace
		changed = true
	case grace < m.GetDeletionGracePeriodSeconds():
		// A shorter grace period brings the deadline forward; a longer one is ignored.
		m.DeletionTimestamp = timestamppb.New(s.clock.Now().Add(time.Duration(grace) * time.Second).Truncate(time.Second))
		m.DeletionGracePeriodSeconds = &grace
		changed = true
	}
	if !changed {
		return nil, true
	}
	return obj, true
}

// gracePeriod returns how long the object may take to go: for a pod bound to a node and still
// running, the requested period or its terminationGracePeriodSeconds; otherwise 0.
func (s *Store) gracePeriod(obj scheme.Object, opts DeleteOptions) int64 {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return 0
	}
	if pod.GetSpec().GetNodeName() == "" {
		return 0
	}
	switch pod.GetStatus().GetPhase() {
	case "Succeeded", "Failed":
		return 0
	}
	g := int64(defaultPodGracePeriod)
	if pod.GetSpec() != nil && pod.GetSpec().TerminationGracePeriodSeconds != nil {
		g = pod.GetSpec().GetTerminationGracePeriodSeconds()
	}
	if opts.GracePeriodSeconds != nil {
		g = *opts.GracePeriodSeconds
	}
	if g < 0 {
		// Kubernetes reads a negative grace period as the shortest graceful one.
		g = 1
	}
	return g
}

// setPropagationFinalizers records a delete's propagation policy in m's finalizers, as Kubernetes
// does, whether or not the object is already being deleted: Orphan leaves "orphan" alone of the
// two, Foreground leaves "foregroundDeletion" alone, Background removes both, so a later delete
// can change how an earlier one propagates. A delete that names no policy keeps what the
// finalizers say. It reports whether the finalizers changed.
func setPropagationFinalizers(m *metav1.ObjectMeta, policy string) bool {
	if policy == "" {
		return false
	}
	next := slices.DeleteFunc(slices.Clone(m.GetFinalizers()), func(f string) bool {
		return f == FinalizerOrphan || f == FinalizerForeground
	})
	switch policy {
	case PropagationOrphan:
		next = append(next, FinalizerOrphan)
	case PropagationForeground:
		next = append(next, FinalizerForeground)
	}
	if sameSet(next, m.GetFinalizers()) {
		return false
	}
	if len(next) == 0 {
		next = nil
	}
	m.Finalizers = next
	return true
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
