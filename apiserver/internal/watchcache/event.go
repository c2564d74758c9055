package watchcache

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// EventType is the type of a watch event, spelled as Kubernetes spells it.
type EventType string

// The watch event types.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	Bookmark EventType = "BOOKMARK"
)

// InitialEventsEndAnnotation marks the BOOKMARK that ends the initial events of a watch that asked
// for them.
const InitialEventsEndAnnotation = "k8s.io/initial-events-end"

// Event is one change to one object. Events are shared by every watcher that receives them and must
// not be modified.
type Event struct {
	Type EventType
	// Key is the storage key of the object.
	Key string
	// Object is the object after the change; for Deleted, its last state with resourceVersion set
	// to the revision of the delete; for Bookmark, an empty object carrying only resourceVersion.
	Object scheme.Object
	// Rev is the store revision of the change.
	Rev int64

	attrs     attrs
	prevAttrs *attrs // nil for Added and Bookmark
	// raw is Object's message as etcd stored it, without resourceVersion, when the event came
	// from a write; Encoded builds the wire form from it instead of marshalling Object again.
	raw []byte

	encodeOnce sync.Once
	encoded    *anypb.Any
	encodeErr  error
}

// attrs is what filters look at.
type attrs struct {
	labels map[string]string
	fields map[string]string
}

// Encoded returns the event's object packed in an Any, encoding it once for all watchers.
func (e *Event) Encoded() (*anypb.Any, error) {
	e.encodeOnce.Do(func() {
		if e.raw == nil {
			e.encoded, e.encodeErr = scheme.Pack(e.Object)
			return
		}
		e.encoded = &anypb.Any{
			TypeUrl: anyPrefix + string(e.Object.ProtoReflect().Descriptor().FullName()),
			Value:   withResourceVersion(e.Object, e.raw),
		}
	})
	return e.encoded, e.encodeErr
}

// anyPrefix is the type URL prefix anypb.New uses.
const anyPrefix = "type.googleapis.com/"

// withResourceVersion returns raw followed by a second metadata field holding only
// resourceVersion. Protobuf merges repeated occurrences of a message field, so the result decodes
// to the stored object with its resourceVersion set, at the cost of a copy rather than a marshal.
func withResourceVersion(obj scheme.Object, raw []byte) []byte {
	md := obj.ProtoReflect().Descriptor().Fields().ByName("metadata")
	rvField := md.Message().Fields().ByName("resource_version")
	rv := obj.GetMetadata().GetResourceVersion()
	inner := protowire.AppendTag(make([]byte, 0, 2+len(rv)), rvField.Number(), protowire.BytesType)
	inner = protowire.AppendString(inner, rv)
	out := make([]byte, len(raw), len(raw)+len(inner)+8)
	copy(out, raw)
	out = protowire.AppendTag(out, md.Number(), protowire.BytesType)
	return protowire.AppendBytes(out, inner)
}

// Predicate selects objects by their labels and selectable fields.
type Predicate interface {
	Matches(labels, fields map[string]string) bool
}

// Everything is the Predicate that selects every object.
type Everything struct{}

// Matches returns true.
func (Everything) Matches(map[string]string, map[string]string) bool { return true }

// filter returns the event as a watcher with predicate p sees it, or nil when the watcher does not
// see it: an object that starts to match is ADDED, one that stops matching is DELETED, as in
// Kubernetes.
func (e *Event) filter(p Predicate) *Event {
	if e.Type == Bookmark {
		return e
	}
	cur := e.Type != Deleted && p.Matches(e.attrs.labels, e.attrs.fields)
	prev := false
	if e.prevAttrs != nil {
		prev = p.Matches(e.prevAttrs.labels, e.prevAttrs.fields)
	}
	if e.Type == Deleted {
		if prev {
			return e
		}
		return nil
	}
	switch {
	case cur && prev:
		return e
	case cur:
		if e.Type == Added {
			return e
		}
		return e.as(Added)
	case prev:
		return e.as(Deleted)
	default:
		return nil
	}
}

// as returns a copy of e with another type, sharing the object.
func (e *Event) as(t EventType) *Event {
	return &Event{Type: t, Key: e.Key, Object: e.Object, Rev: e.Rev, attrs: e.attrs, prevAttrs: e.prevAttrs, raw: e.raw}
}
