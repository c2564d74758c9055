package clienttest

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/fields"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// filter selects objects of one resource by namespace and selectors.
type filter struct {
	gvr       scheme.GroupVersionResource
	namespace string
	labels    labels.Selector
	fields    fields.Selector
}

func newFilter(gvr scheme.GroupVersionResource, namespace, labelSelector, fieldSelector string) (filter, error) {
	ls, err := labels.Parse(labelSelector)
	if err != nil {
		return filter{}, apierrors.NewBadRequest("invalid label selector %q: %v", labelSelector, err)
	}
	fs, err := fields.Parse(fieldSelector)
	if err != nil {
		return filter{}, apierrors.NewBadRequest("invalid field selector %q: %v", fieldSelector, err)
	}
	return filter{gvr: gvr, namespace: namespace, labels: ls, fields: fs}, nil
}

func (f filter) matches(obj scheme.Object) bool {
	m := obj.GetMetadata()
	if f.namespace != "" && m.GetNamespace() != f.namespace {
		return false
	}
	return f.labels.Matches(labels.Set(m.GetLabels())) && f.fields.Matches(objectFields{obj})
}

// objectFields reads an object's fields by their JSON paths ("metadata.name", "spec.nodeName").
type objectFields struct{ obj scheme.Object }

func (o objectFields) Has(path string) bool {
	_, ok := o.lookup(path)
	return ok
}

func (o objectFields) Get(path string) string {
	v, _ := o.lookup(path)
	return v
}

// lookup follows path through singular message fields to a scalar and formats it.
func (o objectFields) lookup(path string) (string, bool) {
	msg := o.obj.ProtoReflect()
	parts := strings.Split(path, ".")
	for i, part := range parts {
		fd := msg.Descriptor().Fields().ByJSONName(part)
		if fd == nil || fd.IsList() || fd.IsMap() {
			return "", false
		}
		v := msg.Get(fd)
		if fd.Kind() == protoreflect.MessageKind {
			if i == len(parts)-1 {
				return "", false
			}
			msg = v.Message()
			continue
		}
		if i != len(parts)-1 {
			return "", false
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			return v.String(), true
		case protoreflect.BoolKind:
			return strconv.FormatBool(v.Bool()), true
		case protoreflect.Int32Kind, protoreflect.Int64Kind:
			return strconv.FormatInt(v.Int(), 10), true
		default:
			return "", false
		}
	}
	return "", false
}
