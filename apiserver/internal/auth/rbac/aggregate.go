package rbac

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// aggregatedRules returns, for every cluster role of roles with an aggregation rule, the union
// of the rules of the other cluster roles any of its selectors matches, taken in name order
// without repeats, as Kubernetes' clusterrole-aggregation controller computes it. A selector
// that does not parse matches nothing.
func aggregatedRules(roles map[string]*rbacv1.ClusterRole) map[string][]*rbacv1.PolicyRule {
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	slices.Sort(names)
	out := map[string][]*rbacv1.PolicyRule{}
	for _, name := range names {
		ag := roles[name].GetAggregationRule()
		if ag == nil {
			continue
		}
		var sels []labels.Selector
		for _, ls := range ag.GetClusterRoleSelectors() {
			if sel, err := labels.FromLabelSelector(ls); err == nil {
				sels = append(sels, sel)
			}
		}
		rules := []*rbacv1.PolicyRule{}
		for _, other := range names {
			if other == name {
				continue
			}
			set := labels.Set(roles[other].GetMetadata().GetLabels())
			if slices.ContainsFunc(sels, func(s labels.Selector) bool { return s.Matches(set) }) {
				rules = appendMissing(rules, roles[other].GetRules())
			}
		}
		out[name] = rules
	}
	return out
}

// RunAggregation keeps the rules of every aggregated cluster role equal to the union that its
// selectors select, rewriting them whenever a cluster role changes, until ctx ends. Every
// apiserver replica may run it: the rules written are a function of the stored roles, and writes
// are guarded on the revision read. Run must be running for RunAggregation to see changes.
func (a *Authorizer) RunAggregation(ctx context.Context) error {
	st, err := a.src.Store(gvr("clusterroles"))
	if err != nil {
		return fmt.Errorf("rbac: %w", err)
	}
	if err := a.WaitSynced(ctx); err != nil {
		return nil
	}
	for {
		if err := a.aggregateOnce(ctx, st); err != nil && ctx.Err() == nil {
			// Retried after a pause: a write lost to a concurrent change, or storage briefly
			// away; the next change of a role triggers another pass too.
			a.lastErr.Store(&err)
			t := time.NewTimer(retryWatch)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.rolesChanged:
		}
	}
}

// aggregateOnce writes every aggregated role whose stored rules differ from the union.
func (a *Authorizer) aggregateOnce(ctx context.Context, st *registry.Store) error {
	a.mu.Lock()
	roles := make(map[string]*rbacv1.ClusterRole, len(a.objs.clusterRoles))
	for k, v := range a.objs.clusterRoles {
		roles[k] = v
	}
	a.mu.Unlock()
	for name, rules := range aggregatedRules(roles) {
		if rulesEqual(roles[name].GetRules(), rules) {
			continue
		}
		_, _, err := st.Modify(ctx, "", name, registry.ModifyOptions{Retries: reconcileRetries},
			func(cur scheme.Object) (scheme.Object, error) {
				cr := cur.(*rbacv1.ClusterRole)
				if cr.GetAggregationRule() == nil {
					return cr, nil
				}
				cr.Rules = rules
				return cr, nil
			})
		if err != nil {
			return fmt.Errorf("aggregate cluster role %s: %w", name, err)
		}
	}
	return nil
}

func rulesEqual(a, b []*rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y *rbacv1.PolicyRule) bool { return proto.Equal(x, y) })
}
