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
		next.ProtoReflect().Set(statusField, obj.ProtoReflect().Get(statusField))
	} else {
		if statusField != nil {
			obj.ProtoReflect().Set(statusField, next.ProtoReflect().Get(statusField))
		}
		m.Uid, m.CreationTimestamp, m.Generation = cm.GetUid(), cm.GetCreationTimestamp(), cm.GetGeneration()
		if specChanged(cur, obj) {
			m.Generation++
		}
		next = obj
	}
	s.storeLocked(k, client.Modified, next)
	return next, nil
}

// specChanged reports whether the spec of two versions of an object differs.
func specChanged(a, b scheme.Object) bool {
	fd := a.ProtoReflect().Descriptor().Fields().ByName("spec")
	return fd != nil && !proto.Equal(a.ProtoReflect().Get(fd).Message().Interface(), b.ProtoReflect().Get(fd).Message().Interface())
}

// deleteLocked removes the named object if the preconditions hold.
func (s *Server) deleteLocked(k *scheme.Kind, namespace, name, uid, rv string) (scheme.Object, error) {
	cur, ok := s.objects[k.GVR()][objectKey(namespace, name)]
	if !ok {
		return nil, apierrors.NewNotFound(k.Group, k.Resource, name)
	}
	if (uid != "" && uid != cur.GetMetadata().GetUid()) || (rv != "" && rv != cur.GetMetadata().GetResourceVersion()) {
		return nil, apierrors.NewConflict(k.Group, k.Resource, name, "the precondition on uid or resourceVersion does not hold")
	}
	gone := proto.Clone(cur).(scheme.Object)
	delete(s.objects[k.GVR()], scheme.Key(cur))
	s.rev++
	scheme.Meta(gone).ResourceVersion = strconv.FormatInt(s.rev, 10)
	s.publishLocked(event{gvr: k.GVR(), typ: client.Deleted, obj: gone, rev: s.rev})
	return gone, nil
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
