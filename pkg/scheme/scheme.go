package scheme

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Object is any persisted Keelson resource: a protobuf message whose field 1 is metadata.
type Object interface {
	proto.Message
	GetMetadata() *metav1.ObjectMeta
}

// GroupVersionResource names a resource as request paths do; Group "" is the core group.
type GroupVersionResource struct {
	Group, Version, Resource string
}

// String returns "resource.version.group", or "resource.version" for the core group.
func (r GroupVersionResource) String() string {
	if r.Group == "" {
		return r.Resource + "." + r.Version
	}
	return r.Resource + "." + r.Version + "." + r.Group
}

// GroupVersionKind names a kind as manifests do.
type GroupVersionKind struct {
	Group, Version, Kind string
}

// APIVersion returns the apiVersion manifests carry: "v1" for core, "apps/v1" otherwise.
func (k GroupVersionKind) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// Kind describes one resource kind.
type Kind struct {
	GroupVersionKind
	// Resource is the plural, lower-case name used in paths and storage keys ("pods").
	Resource string
	// Singular is the lower-case singular name ("pod").
	Singular string
	// ShortNames are kubectl's abbreviations ("po").
	ShortNames []string
	// Categories group kinds for kubectl ("all").
	Categories []string
	// Namespaced is false for cluster-scoped kinds such as nodes and namespaces.
	Namespaced bool
	// Subresources lists the subresources the kind serves ("status", "binding", "scale", ...).
	Subresources []string
	// New returns an empty message of the kind.
	New func() Object
	// CreateOnly marks a virtual kind (an access review): the server answers a create of it and
	// stores nothing, so it cannot be read, listed or watched. Kinds leaves it out; CreateOnly
	// lists it.
	CreateOnly bool

	// desc is the kind's message descriptor, set by New (the Scheme constructor).
	desc protoreflect.MessageDescriptor
}

// GVR returns the kind's group, version and resource.
func (k *Kind) GVR() GroupVersionResource {
	return GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}

// HasSubresource reports whether the kind serves the named subresource.
func (k *Kind) HasSubresource(name string) bool {
	for _, s := range k.Subresources {
		if s == name {
			return true
		}
	}
	return false
}

// MessageName returns the full protobuf name of the kind's message.
func (k *Kind) MessageName() protoreflect.FullName {
	return k.Descriptor().FullName()
}

// Descriptor returns the descriptor of the kind's message.
func (k *Kind) Descriptor() protoreflect.MessageDescriptor {
	if k.desc == nil {
		// A Kind not built by a Scheme: look it up each time.
		return k.New().ProtoReflect().Descriptor()
	}
	return k.desc
}

// Scheme maps resources, kinds and message types to each other. It is safe for concurrent use
// because it never changes after New returns.
type Scheme struct {
	kinds     []*Kind
	virtual   []*Kind
	byGVR     map[GroupVersionResource]*Kind
	byGVK     map[GroupVersionKind]*Kind
	byMessage map[protoreflect.FullName]*Kind
}

// New builds a Scheme from kinds. It fails when two kinds share a resource, a kind or a message type,
// or when a kind's message has no metadata field.
func New(kinds ...Kind) (*Scheme, error) {
	s := &Scheme{
		byGVR:     make(map[GroupVersionResource]*Kind, len(kinds)),
		byGVK:     make(map[GroupVersionKind]*Kind, len(kinds)),
		byMessage: make(map[protoreflect.FullName]*Kind, len(kinds)),
	}
	for i := range kinds {
		k := &kinds[i]
		if k.New == nil || k.Resource == "" || k.Kind == "" || k.Version == "" {
			return nil, fmt.Errorf("kind %q: New, Resource, Kind and Version are required", k.Kind)
		}
		msg := k.New().ProtoReflect().Descriptor()
		k.desc = msg
		if fd := msg.Fields().ByName("metadata"); fd == nil || fd.Message() == nil ||
			fd.Message().FullName() != "keelson.meta.v1.ObjectMeta" {
			return nil, fmt.Errorf("kind %s: message %s has no keelson.meta.v1.ObjectMeta metadata field", k.Kind, msg.FullName())
		}
		if _, dup := s.byGVR[k.GVR()]; dup {
			return nil, fmt.Errorf("resource %s registered twice", k.GVR())
		}
		if _, dup := s.byGVK[k.GroupVersionKind]; dup {
			return nil, fmt.Errorf("kind %s/%s registered twice", k.APIVersion(), k.Kind)
		}
		if _, dup := s.byMessage[msg.FullName()]; dup {
			return nil, fmt.Errorf("message %s registered twice", msg.FullName())
		}
		if k.CreateOnly {
			s.virtual = append(s.virtual, k)
		} else {
			s.kinds = append(s.kinds, k)
		}
		s.byGVR[k.GVR()] = k
		s.byGVK[k.GroupVersionKind] = k
		s.byMessage[msg.FullName()] = k
	}
	sortKinds(s.kinds)
	sortKinds(s.virtual)
	return s, nil
}

// sortKinds orders kinds by group then resource.
func sortKinds(kinds []*Kind) {
	sort.Slice(kinds, func(i, j int) bool {
		a, b := kinds[i], kinds[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Resource < b.Resource
	})
}

// Kinds returns every stored kind, ordered by group then resource: every kind but the
// create-only ones. The slice is a copy.
func (s *Scheme) Kinds() []*Kind {
	return append([]*Kind(nil), s.kinds...)
}

// CreateOnly returns the create-only kinds, ordered by group then resource. The slice is a copy.
func (s *Scheme) CreateOnly() []*Kind {
	return append([]*Kind(nil), s.virtual...)
}

// ByResource returns the kind serving gvr, stored or create-only.
func (s *Scheme) ByResource(gvr GroupVersionResource) (*Kind, bool) {
	k, ok := s.byGVR[gvr]
	return k, ok
}

// ByKind returns the kind named by gvk.
func (s *Scheme) ByKind(gvk GroupVersionKind) (*Kind, bool) {
	k, ok := s.byGVK[gvk]
	return k, ok
}

// ByMessage returns the kind whose message has the given full name.
func (s *Scheme) ByMessage(name protoreflect.FullName) (*Kind, bool) {
	k, ok := s.byMessage[name]
	return k, ok
}

// ForObject returns the kind of obj's message type.
func (s *Scheme) ForObject(obj Object) (*Kind, bool) {
	return s.ByMessage(obj.ProtoReflect().Descriptor().FullName())
}
