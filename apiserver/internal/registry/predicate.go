package registry

import (
	"sort"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/fields"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
)

// selection is a label selector and a field selector together.
type selection struct {
	label labels.Selector
	field fields.Selector
}

func (p selection) Matches(l, f map[string]string) bool {
	return p.label.Matches(labels.Set(l)) && p.field.Matches(fields.Set(f))
}

// predicate parses the selectors of a list or watch. A field selector may name only the kind's
// selectable fields.
func (s *Store) predicate(labelSelector, fieldSelector string) (watchcache.Predicate, error) {
	if labelSelector == "" && fieldSelector == "" {
		return watchcache.Everything{}, nil
	}
	ls, err := labels.Parse(labelSelector)
	if err != nil {
		return nil, apierrors.NewBadRequest("unable to parse requirement: %v", err)
	}
	fs, err := fields.Parse(fieldSelector)
	if err != nil {
		return nil, apierrors.NewBadRequest("invalid field selector %q: %v", fieldSelector, err)
	}
	allowed := s.strategy.SelectableFields(s.kind.New())
	for _, r := range fs.Requirements() {
		if _, ok := allowed[r.Field]; !ok {
			names := make([]string, 0, len(allowed))
			for k := range allowed {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, apierrors.NewBadRequest("field label not supported: %s (%s supports %s)",
				r.Field, s.kind.Resource, strings.Join(names, ", "))
		}
	}
	return selection{label: ls, field: fs}, nil
}

// cloneObject returns a deep copy of a shared object.
func cloneObject(obj scheme.Object) scheme.Object {
	return wire.Clone(obj)
}
