package registry

import (
	"context"
	"sync/atomic"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Namespaces that exist from the start and may not be deleted.
var systemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// isSystemNamespace reports whether name is one of systemNamespaces.
func isSystemNamespace(name string) bool {
	for _, n := range systemNamespaces {
		if n == name {
			return true
		}
	}
	return false
}

var namespacesGVR = scheme.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// EnsureSystemNamespaces creates the namespaces that exist from the start, leaving existing ones.
func (r *Registry) EnsureSystemNamespaces(ctx context.Context) error {
	ns, err := r.Store(namespacesGVR)
	if err != nil {
		return err
	}
	for _, name := range systemNamespaces {
		_, err := ns.Create(ctx, "", &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: name}}, CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// lifecycle is what namespace admission remembers between requests: the newest revision at which
// this server marked a namespace for deletion or removed one. Admission reads namespaces from the
// watch cache, which trails etcd by a moment; without this, a create that follows an acknowledged
// namespace delete could be judged on the namespace as it was before the delete and be let into a
// terminating namespace. Deletions through other replicas are seen as soon as this replica's cache
// has them, as with Kubernetes' admission informers.
type lifecycle struct {
	deletedAt atomic.Int64
}

// noteDeletion records that a namespace was marked for deletion, or removed, at revision rev.
func (l *lifecycle) noteDeletion(rev int64) {
	for {
		cur := l.deletedAt.Load()
		if rev <= cur || l.deletedAt.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// namespaceDeleted records, when s serves namespaces, that one was marked for deletion or removed
// at revision rev, so admission waits for the watch cache to see it.
func (s *Store) namespaceDeleted(rev int64) {
	if s.kind.GVR() == namespacesGVR {
		s.registry.lifecycle.noteDeletion(rev)
	}
}

// admitNamespace enforces namespace lifecycle on a write of a namespaced object: the namespace must
// exist and, for creates, must not be terminating. It judges the namespace from a watch cache that
// reflects at least every namespace deletion this server has acknowledged.
func (s *Store) admitNamespace(ctx context.Context, namespace, name string, creating bool) error {
	if !s.kind.Namespaced {
		return nil
	}
	nss, err := s.registry.Store(namespacesGVR)
	if err != nil {
		return err
	}
	key := nss.key("", namespace)
	obj, ok, err := nss.cache.GetFresh(ctx, key, s.registry.lifecycle.deletedAt.Load())
	if err != nil {
		return err
	}
	if !ok {
		// The cache may trail a namespace just created through another apiserver: ask etcd.
		kv, err := nss.storage.Get(ctx, key, 0)
		if err != nil {
			return nss.storageErr(namespace, err)
		}
		obj = kv.Object
	}
	if creating && obj.GetMetadata().GetDeletionTimestamp() != nil {
		return apierrors.NewForbidden(s.kind.Group, s.kind.Resource, name,
			"unable to create new content in namespace "+namespace+" because it is being terminated")
	}
	return nil
}

// statusField returns the kind's status field when the kind has a status subresource.
func (s *Store) statusField() protoreflect.FieldDescriptor { return s.status }

// specField returns the field whose change bumps generation: spec, or nil when the kind has none.
func (s *Store) specField() protoreflect.FieldDescriptor { return s.spec }

// kindFields finds a kind's status field (only when it serves the status subresource) and its
// spec field.
func kindFields(k *scheme.Kind) (status, spec protoreflect.FieldDescriptor) {
	fields := k.Descriptor().Fields()
	if k.HasSubresource("status") {
		status = fields.ByName("status")
	}
	return status, fields.ByName("spec")
}

// copyField sets field fd of dst to src's value (or clears it).
func copyField(dst, src scheme.Object, fd protoreflect.FieldDescriptor) {
	if fd == nil {
		return
	}
	sr := src.ProtoReflect()
	if sr.Has(fd) {
		dst.ProtoReflect().Set(fd, protoreflect.ValueOfMessage(proto.Clone(sr.Get(fd).Message().Interface()).ProtoReflect()))
	} else {
		dst.ProtoReflect().Clear(fd)
	}
}

// fieldEqual reports whether a and b hold equal values in field fd.
func fieldEqual(a, b scheme.Object, fd protoreflect.FieldDescriptor) bool {
	ar, br := a.ProtoReflect(), b.ProtoReflect()
	if ar.Has(fd) != br.Has(fd) {
		return false
	}
	if !ar.Has(fd) {
		return true
	}
	return proto.Equal(ar.Get(fd).Message().Interface(), br.Get(fd).Message().Interface())
}

// initStatus sets the status a new object starts with: what the client sent for nodes (the kubelet
// registers a node with its status), nothing for other kinds with a status subresource, then the
// kind's starting phase.
func (s *Store) initStatus(obj scheme.Object) {
	if fd := s.statusField(); fd != nil && s.kind.Kind != "Node" {
		obj.ProtoReflect().Clear(fd)
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		o.Status = &corev1.PodStatus{Phase: "Pending"}
	case *corev1.Namespace:
		o.Status = &corev1.NamespaceStatus{Phase: "Active"}
	}
}
