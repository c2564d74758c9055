package clienttest

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// createLocked stores obj, which the caller owns, as new. uid is the client's proposal, "" for
// none.
func (s *Server) createLocked(k *scheme.Kind, obj scheme.Object, uid string) (scheme.Object, error) {
	m := scheme.Meta(obj)
	if m.GetName() == "" {
		if m.GetGenerateName() == "" {
			return nil, apierrors.NewInvalid(k.Group, k.Kind, "", []apierrors.Cause{{Field: "metadata.name", Message: "name or generateName is required"}})
		}
		m.Name = m.GetGenerateName() + strconv.FormatInt(s.rev+1, 36)
	}
	objs := s.objects[k.GVR()]
	if objs == nil {
		objs = map[string]scheme.Object{}
		s.objects[k.GVR()] = objs
	}
	key := scheme.Key(obj)
	if _, ok := objs[key]; ok {
		return nil, apierrors.NewAlreadyExists(k.Group, k.Resource, m.GetName())
	}
	if uid != "" {
		m.Uid = uid
	} else if m.GetUid() == "" {
		m.Uid = uuid.NewString()
	}
	if m.GetCreationTimestamp() == nil {
		m.CreationTimestamp = timestamppb.Now()
	}
	m.Generation = 1
	s.storeLocked(k, client.Added, obj)
	return obj, nil
}

// updateLocked replaces the object obj names with obj (status says which part: the status alone,
// or everything but the status). A resourceVersion in obj must match the stored one.
func (s *Server) updateLocked(k *scheme.Kind, obj scheme.Object, status bool) (scheme.Object, error) {
	m := scheme.Meta(obj)
	cur, ok := s.objects[k.GVR()][scheme.Key(obj)]
	if !ok {
		return nil, apierrors.NewNotFound(k.Group, k.Resource, m.GetName())
	}
	cm := cur.GetMetadata()
	if rv := m.GetResourceVersion(); rv != "" && rv != cm.GetResourceVersion() {
		return nil, apierrors.NewConflict(k.Group, k.Resource, m.GetName(),
			"the object has been modified; please apply your changes to the latest version and try again")
	}
	next := proto.Clone(cur).(scheme.Object)
	statusField := next.ProtoReflect().Descriptor().Fields().ByName("status")
	if status {
		if statusField == nil {
			return nil, apierrors.NewMethodNotSupported(k.Group, k.Resource, "update status")
		}
		if obj.ProtoReflect().Has(statusField) {
			next.ProtoReflect().Set(statusField, obj.ProtoReflect().Get(statusField))
		} else {
			next.ProtoReflect().Clear(statusField)
		}
	} else {
		if statusField != nil {
			if next.ProtoReflect().Has(statusField) {
				obj.ProtoReflect().Set(statusField, next.ProtoReflect().Get(statusField))
			} else {
				obj.ProtoReflect().Clear(statusField)
			}
		}
		m.Uid, m.CreationTimestamp, m.Generation = cm.GetUid(), cm.GetCreationTimestamp(), cm.GetGeneration()
		if specChanged(cur, obj) {
			m.Generation++
		}
		next = obj
	}
	if next.GetMetadata().GetDeletionTimestamp() != nil && !held(next) {
		return s.removeLocked(k, next), nil
	}
	s.storeLocked(k, client.Modified, next)
	return next, nil
}

// specChanged reports whether the spec of two versions of an object differs.
func specChanged(a, b scheme.Object) bool {
	fd := a.ProtoReflect().Descriptor().Fields().ByName("spec")
	return fd != nil && !proto.Equal(a.ProtoReflect().Get(fd).Message().Interface(), b.ProtoReflect().Get(fd).Message().Interface())
}

// deleteLocked removes the named object if the preconditions hold, or marks it for deletion when
// finalizers hold it.
func (s *Server) deleteLocked(k *scheme.Kind, namespace, name, uid, rv string) (scheme.Object, error) {
	cur, ok := s.objects[k.GVR()][objectKey(namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(k.Group, k.Resource, name)
	}
	if (uid != "" && uid != cur.GetMetadata().GetUid()) || (rv != "" && rv != cur.GetMetadata().GetResourceVersion()) {
		return nil, apierrors.NewConflict(k.Group, k.Resource, name, "the precondition on uid or resourceVersion does not hold")
	}
	if held(cur) {
		// Finalizers hold it: mark it for deletion, as the apiserver does, and keep it.
		next := proto.Clone(cur).(scheme.Object)
		m := scheme.Meta(next)
		if m.DeletionTimestamp == nil {
			m.DeletionTimestamp = timestamppb.Now()
		}
		if ns, ok := next.(*corev1.Namespace); ok {
			if ns.Status == nil {
				ns.Status = &corev1.NamespaceStatus{}
			}
			ns.Status.Phase = "Terminating"
		}
		s.storeLocked(k, client.Modified, next)
		return next, nil
	}
	return s.removeLocked(k, cur), nil
}

// held reports whether finalizers keep obj from being removed: its own, or a namespace's
// spec.finalizers.
func held(obj scheme.Object) bool {
	if ns, ok := obj.(*corev1.Namespace); ok && len(ns.GetSpec().GetFinalizers()) > 0 {
		return true
	}
	return len(obj.GetMetadata().GetFinalizers()) > 0
}

// removeLocked removes the stored object cur and tells the watchers; it returns the object as
// removed.
func (s *Server) removeLocked(k *scheme.Kind, cur scheme.Object) scheme.Object {
	gone := proto.Clone(cur).(scheme.Object)
	delete(s.objects[k.GVR()], scheme.Key(cur))
	s.rev++
	scheme.Meta(gone).ResourceVersion = strconv.FormatInt(s.rev, 10)
	s.publishLocked(event{gvr: k.GVR(), typ: client.Deleted, obj: gone, rev: s.rev})
	return gone
}

// storeLocked gives obj the next resourceVersion, stores it and tells the watchers.
func (s *Server) storeLocked(k *scheme.Kind, typ client.EventType, obj scheme.Object) {
	s.rev++
	scheme.Meta(obj).ResourceVersion = strconv.FormatInt(s.rev, 10)
	s.objects[k.GVR()][scheme.Key(obj)] = obj
	s.publishLocked(event{gvr: k.GVR(), typ: typ, obj: obj, rev: s.rev})
}

// publishLocked records ev and queues it for every watcher that selects it. Stored objects are
// never changed in place (writes store new copies), so events share them.
func (s *Server) publishLocked(ev event) {
	s.history = append(s.history, ev)
	for w := range s.watchers {
		if w.selects(ev) {
			w.push(ev)
		}
	}
}

// kind returns the kind serving gvr.
func (s *Server) kind(gvr scheme.GroupVersionResource) (*scheme.Kind, error) {
	k, ok := s.scheme.ByResource(gvr)
	if !ok {
		return nil, apierrors.NewNotFound("", "resources", fmt.Sprintf("%s (the server does not serve it)", gvr))
	}
	return k, nil
}

// finalizeLocked replaces a namespace's spec.finalizers, as the finalize subresource does, and
// removes the namespace when that was the last thing holding its deletion.
func (s *Server) finalizeLocked(k *scheme.Kind, ns *corev1.Namespace) (scheme.Object, error) {
	cur, ok := s.objects[k.GVR()][scheme.Key(ns)]
	if !ok {
		return nil, apierrors.NewNotFound(k.Group, k.Resource, ns.GetMetadata().GetName())
	}
	if rv := ns.GetMetadata().GetResourceVersion(); rv != "" && rv != cur.GetMetadata().GetResourceVersion() {
		return nil, apierrors.NewConflict(k.Group, k.Resource, ns.GetMetadata().GetName(),
			"the object has been modified; please apply your changes to the latest version and try again")
	}
	next := proto.Clone(cur).(*corev1.Namespace)
	if next.Spec == nil {
		next.Spec = &corev1.NamespaceSpec{}
	}
	next.Spec.Finalizers = ns.GetSpec().GetFinalizers()
	if next.GetMetadata().GetDeletionTimestamp() != nil && !held(next) {
		return s.removeLocked(k, next), nil
	}
	s.storeLocked(k, client.Modified, next)
	return next, nil
}
