package quota

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	pquota "github.com/keelson-dev/keelson/pkg/quota"
	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

var quotasGVR = scheme.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}

// Quotas is what admission needs of the ResourceQuota store: a consistent list of a namespace's
// quotas and a guarded read-modify-write of one quota's status. *registry.Store is one.
type Quotas interface {
	List(ctx context.Context, namespace string, opts registry.ListOptions) (*registry.ListResult, error)
	Modify(ctx context.Context, namespace, name string, opts registry.ModifyOptions, fn registry.ModifyFunc) (scheme.Object, bool, error)
}

// Admission charges writes against ResourceQuotas. It is safe for concurrent use.
type Admission struct {
	quotas Quotas
}

// New returns the quota admission of reg, which must serve resourcequotas.
func New(reg *registry.Registry) (*Admission, error) {
	st, err := reg.Store(quotasGVR)
	if err != nil {
		return nil, fmt.Errorf("quota admission: %w", err)
	}
	return NewWith(st), nil
}

// NewWith returns a quota admission reading and charging quotas through q.
func NewWith(q Quotas) *Admission { return &Admission{quotas: q} }

// charge is what one write costs one quota.
type charge struct {
	quota string
	delta resource.List
}

// Admit charges a's object against the quotas of its namespace. It refuses with Forbidden a pod
// that omits a compute resource a quota limits, and a write that would exceed a quota; otherwise
// every matching quota's status.used has grown by the object's usage (nothing is written in a
// dry run).
func (ad *Admission) Admit(ctx context.Context, a registry.Attributes) error {
	// Deletes and status writes charge nothing; the controller's recount gives back what goes.
	if a.Operation == registry.OperationDelete || a.Subresource != "" || !a.Kind.Namespaced || a.Namespace == "" {
		return nil
	}
	delta, err := usageDelta(a)
	if err != nil || len(delta) == 0 {
		return err
	}
	list, err := ad.quotas.List(ctx, a.Namespace, registry.ListOptions{})
	if err != nil {
		return fmt.Errorf("list resource quotas of %s: %w", a.Namespace, err)
	}
	var charges []charge
	for _, obj := range list.Items {
		q, ok := obj.(*corev1.ResourceQuota)
		if !ok || q.GetMetadata().GetDeletionTimestamp() != nil {
			continue
		}
		hard, err := resource.ParseList(q.GetSpec().GetHard())
		if err != nil {
			continue // validation keeps unparsable quotas out; one that slipped in limits nothing
		}
		if pod, ok := a.Object.(*corev1.Pod); ok && a.Old == nil {
			if missing := pquota.MissingCompute(pod, hard); len(missing) > 0 {
				return forbidden(a, fmt.Sprintf("failed quota: %s: must specify %s", q.GetMetadata().GetName(), strings.Join(missing, ",")))
			}
		}
		limited := pquota.Limited(hard, delta)
		if len(limited) == 0 {
			continue
		}
		charges = append(charges, charge{quota: q.GetMetadata().GetName(), delta: pquota.Mask(delta, limited)})
	}
	for i, c := range charges {
		if err := ad.charge(ctx, a, c); err != nil {
			// Give back what the quotas before this one were charged, so a refused write costs
			// nothing; should that fail too, the controller's recount restores them.
			for _, done := range charges[:i] {
				_ = ad.refund(ctx, a.Namespace, done)
			}
			return err
		}
	}
	return nil
}

// usageDelta returns what a costs: the new object's usage, less the old one's on an update, with
// only the increases kept.
func usageDelta(a registry.Attributes) (resource.List, error) {
	use, err := pquota.Usage(a.Kind, a.Object)
	if err != nil {
		return nil, apierrors.NewBadRequest("%v", err)
	}
	if a.Old == nil {
		return use, nil
	}
	old, err := pquota.Usage(a.Kind, a.Old)
	if err != nil {
		return nil, apierrors.NewBadRequest("%v", err)
	}
	out := resource.List{}
	for name, q := range use.Sub(old) {
		if q.Sign() > 0 {
			out[name] = q
		}
	}
	return out, nil
}

// errNoStatus marks a quota the controller has not yet given a status.hard: as in Kubernetes,
// nothing is admitted against it until it has.
var errNoStatus = errors.New("quota status not yet computed")

// charge adds c.delta to the quota's status.used, refusing when that would exceed status.hard.
// The write is guarded on the revision read and retried on conflict, each time judging the newer
// usage.
func (ad *Admission) charge(ctx context.Context, a registry.Attributes, c charge) error {
	var refusal error
	_, _, err := ad.quotas.Modify(ctx, a.Namespace, c.quota, registry.ModifyOptions{Subresource: "status", DryRun: a.DryRun},
		func(cur scheme.Object) (scheme.Object, error) {
			refusal = nil
			q, ok := cur.(*corev1.ResourceQuota)
			if !ok {
				return nil, apierrors.NewInternal(fmt.Errorf("resource quota %s is a %T", c.quota, cur))
			}
			hard, err := resource.ParseList(q.GetStatus().GetHard())
			if err != nil {
				return nil, apierrors.NewInternal(fmt.Errorf("resource quota %s: status.hard: %w", c.quota, err))
			}
			used, err := resource.ParseList(q.GetStatus().GetUsed())
			if err != nil {
				return nil, apierrors.NewInternal(fmt.Errorf("resource quota %s: status.used: %w", c.quota, err))
			}
			limited := pquota.Limited(hard, c.delta)
			if len(limited) < len(c.delta) {
				refusal = forbidden(a, fmt.Sprintf("status unknown for quota: %s, resources: %s",
					c.quota, strings.Join(missingNames(hard, c.delta), ",")))
				return nil, fmt.Errorf("%w: %w", errNoStatus, refusal)
			}
			if exceeded := pquota.Exceeded(hard, used, c.delta, limited); len(exceeded) > 0 {
				refusal = forbidden(a, pquota.ExceededMessage(c.quota, c.delta, used, hard, exceeded))
				return nil, refusal
			}
			if q.Status.Used == nil {
				q.Status.Used = map[string]string{}
			}
			for name, d := range c.delta {
				q.Status.Used[name] = used[name].Add(d).String()
			}
			return q, nil
		})
	switch {
	case refusal != nil:
		return refusal
	case apierrors.IsNotFound(err):
		return nil // the quota went away since the list: it limits nothing any more
	case err != nil:
		return fmt.Errorf("charge resource quota %s/%s: %w", a.Namespace, c.quota, err)
	}
	return nil
}

// refund takes c.delta back from the quota's status.used, never below zero.
func (ad *Admission) refund(ctx context.Context, namespace string, c charge) error {
	_, _, err := ad.quotas.Modify(ctx, namespace, c.quota, registry.ModifyOptions{Subresource: "status"},
		func(cur scheme.Object) (scheme.Object, error) {
			q, ok := cur.(*corev1.ResourceQuota)
			if !ok || q.GetStatus() == nil {
				return cur, nil
			}
			used, err := resource.ParseList(q.GetStatus().GetUsed())
			if err != nil {
				return cur, nil
			}
			for name, d := range c.delta {
				left := used[name].Sub(d)
				if left.Sign() < 0 {
					left = resource.NewQuantity(0, resource.DecimalSI)
				}
				q.Status.Used[name] = left.String()
			}
			return q, nil
		})
	return err
}

// missingNames returns the names of delta that hard lacks, sorted.
func missingNames(hard, delta resource.List) []string {
	var out []string
	for _, n := range delta.Names() {
		if _, ok := hard[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// forbidden refuses a's write for why, naming the object as Kubernetes' admission does.
func forbidden(a registry.Attributes, why string) error {
	return apierrors.NewForbidden(a.Kind.Group, a.Kind.Resource, a.Name, why)
}
