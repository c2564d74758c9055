package scheme

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Meta returns obj's metadata, first setting an empty ObjectMeta when it has none, so callers can
// write to it.
func Meta(obj Object) *metav1.ObjectMeta {
	if m := obj.GetMetadata(); m != nil {
		return m
	}
	m := &metav1.ObjectMeta{}
	r := obj.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName("metadata"), protoreflect.ValueOfMessage(m.ProtoReflect()))
	return m
}

// Key returns "namespace/name", or "name" for cluster-scoped objects: the key informers, listers and
// work queues use.
func Key(obj Object) string {
	m := obj.GetMetadata()
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}

// Field returns the named top-level message field of obj ("spec", "status") and whether obj has one.
func Field(obj Object, name protoreflect.Name) (protoreflect.FieldDescriptor, bool) {
	fd := obj.ProtoReflect().Descriptor().Fields().ByName(name)
	return fd, fd != nil
}
