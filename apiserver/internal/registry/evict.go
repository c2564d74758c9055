package registry

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// ParseDryRun reads the dryRun values of a request or of DeleteOptions: none is a real write, "All"
// a dry run; anything else is BadRequest.
func ParseDryRun(values []string) (bool, error) {
	for _, v := range values {
		if v != "All" {
			return false, apierrors.NewBadRequest("dryRun may only be All, not %q", v)
		}
	}
	return len(values) > 0, nil
}

// Evict serves the pods/eviction subresource. Keelson has no disruption budgets, so an allowed
// eviction is the pod's delete with the eviction's delete options (grace period, preconditions,
// propagation, dry run); dryRun also makes it a dry run. The eviction's metadata.name, when set,
// must name the pod.
func (s *Store) Evict(ctx context.Context, namespace, name string, ev *policyv1.Eviction, dryRun bool) error {
	if s.kind.Kind != "Pod" {
		return apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/eviction", "create")
	}
	if err := s.checkNamespace(namespace); err != nil {
		return err
	}
	m := ev.GetMetadata()
	if m.GetName() != "" && m.GetName() != name {
		return apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	if err := s.checkObjectNamespace(m.GetNamespace(), namespace); err != nil {
		return err
	}
	do := ev.GetDeleteOptions()
	dry, err := ParseDryRun(do.GetDryRun())
	if err != nil {
		return err
	}
	opts := DeleteOptions{
		PreconditionUID:             do.GetPreconditions().GetUid(),
		PreconditionResourceVersion: do.GetPreconditions().GetResourceVersion(),
		PropagationPolicy:           do.GetPropagationPolicy(),
		DryRun:                      dryRun || dry,
	}
	if do != nil {
		opts.GracePeriodSeconds, opts.OrphanDependents = do.GracePeriodSeconds, do.OrphanDependents
	}
	_, _, err = s.Delete(ctx, namespace, name, opts)
	return err
}
