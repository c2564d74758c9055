package registry

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Operation is what a write does, spelled as Kubernetes' admission spells it.
type Operation string

// The operations admission judges.
const (
	OperationCreate Operation = "CREATE"
	OperationUpdate Operation = "UPDATE"
	OperationDelete Operation = "DELETE"
)

// Attributes describe a write that admission judges.
type Attributes struct {
	// Operation is CREATE, UPDATE (of the object or, with Subresource "status", of its status) or
	// DELETE.
	Operation Operation
	// Subresource is "" for the object itself and "status" for a status update.
	Subresource string
	// Kind is the kind written, Namespace and Name the object's place.
	Kind      *scheme.Kind
	Namespace string
	Name      string
	// Object is the object as it would be stored: defaulted and validated; nil on delete.
	Object scheme.Object
	// Old is the stored object an update replaces or a delete removes; nil on create.
	Old scheme.Object
	// DryRun writes nothing: an admitter judges but records no charge.
	DryRun bool
}

// Admitter is a validating admission step: it judges a create, an update of an object or of its
// status, or a delete, after the object was defaulted and validated and before it is stored (or
// before the delete marks or removes it). An error
// refuses the write and is returned to the client as it is. An admitter may record what it
// admitted (a quota charge); the write may still fail afterwards, which the recorder corrects
// later.
type Admitter interface {
	Admit(ctx context.Context, a Attributes) error
}

// AddAdmission appends a to the admitters every create and update goes through, in order. Call
// it before the registry serves requests; it is not safe for concurrent use with writes.
func (r *Registry) AddAdmission(a Admitter) {
	r.admitters = append(r.admitters, a)
}

// admit runs the registry's admitters on a, stopping at the first refusal.
func (r *Registry) admit(ctx context.Context, a Attributes) error {
	for _, ad := range r.admitters {
		if err := ad.Admit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// admitWrite runs admission on obj, which replaces old (nil on create), written in namespace.
func (s *Store) admitWrite(ctx context.Context, namespace string, obj, old scheme.Object, dryRun bool) error {
	op := OperationUpdate
	if old == nil {
		op = OperationCreate
	}
	return s.registry.admit(ctx, Attributes{
		Operation: op, Kind: s.kind, Namespace: namespace, Name: obj.GetMetadata().GetName(), Object: obj, Old: old, DryRun: dryRun,
	})
}

// admitStatus runs admission on obj, whose status replaces old's.
func (s *Store) admitStatus(ctx context.Context, namespace string, obj, old scheme.Object, dryRun bool) error {
	return s.registry.admit(ctx, Attributes{
		Operation: OperationUpdate, Subresource: "status", Kind: s.kind, Namespace: namespace,
		Name: obj.GetMetadata().GetName(), Object: obj, Old: old, DryRun: dryRun,
	})
}

// admitDelete runs admission on the delete of cur.
func (s *Store) admitDelete(ctx context.Context, namespace string, cur scheme.Object, dryRun bool) error {
	return s.registry.admit(ctx, Attributes{
		Operation: OperationDelete, Kind: s.kind, Namespace: namespace, Name: cur.GetMetadata().GetName(), Old: cur, DryRun: dryRun,
	})
}

// Mutator is a mutating admission step: it may change an object being created before it is
// defaulted and validated (so what it adds is validated too). An error refuses the create.
type Mutator interface {
	Mutate(ctx context.Context, a Attributes) error
}

// AddMutation appends m to the mutators every create goes through, in order. Call it before the
// registry serves requests; it is not safe for concurrent use with writes.
func (r *Registry) AddMutation(m Mutator) {
	r.mutators = append(r.mutators, m)
}

// mutateCreate runs the registry's mutators on obj, being created in namespace.
func (s *Store) mutateCreate(ctx context.Context, namespace string, obj scheme.Object, dryRun bool) error {
	for _, m := range s.registry.mutators {
		err := m.Mutate(ctx, Attributes{
			Operation: OperationCreate, Kind: s.kind, Namespace: namespace, Name: obj.GetMetadata().GetName(), Object: obj, DryRun: dryRun,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
