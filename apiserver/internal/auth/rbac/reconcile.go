package rbac

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// reconcileRetries bounds how often a bootstrap object is merged again after another apiserver
// wrote it in between.
const reconcileRetries = 10

// Reconcile makes the bootstrap policy present: it creates each missing bootstrap cluster role and
// binding, and adds to an existing one the labels, annotations, rules, aggregation selectors and
// subjects it lacks, keeping what users added. An object annotated
// rbac.authorization.kubernetes.io/autoupdate=false is left as it is. It is idempotent, so every
// apiserver replica runs it at start; ctx carries no user, so admission does not judge it.
func Reconcile(ctx context.Context, src Source) error {
	roles, err := src.Store(gvr("clusterroles"))
	if err != nil {
		return err
	}
	bindings, err := src.Store(gvr("clusterrolebindings"))
	if err != nil {
		return err
	}
	for _, want := range ClusterRoles() {
		if _, _, err := roles.Modify(ctx, "", want.GetMetadata().GetName(), registry.ModifyOptions{Create: true, Retries: reconcileRetries},
			func(cur scheme.Object) (scheme.Object, error) {
				if cur == nil {
					return proto.Clone(want).(*rbacv1.ClusterRole), nil
				}
				have := cur.(*rbacv1.ClusterRole)
				if autoUpdateOff(have.GetMetadata()) {
					return have, nil
				}
				mergeRole(have, want)
				return have, nil
			}); err != nil {
			return fmt.Errorf("reconcile cluster role %s: %w", want.GetMetadata().GetName(), err)
		}
	}
	for _, want := range ClusterRoleBindings() {
		if err := reconcileBinding(ctx, bindings, want); err != nil {
			return fmt.Errorf("reconcile cluster role binding %s: %w", want.GetMetadata().GetName(), err)
		}
	}
	return nil
}

func gvr(resource string) scheme.GroupVersionResource {
	return scheme.GroupVersionResource{Group: scheme.GroupRBAC, Version: "v1", Resource: resource}
}

func autoUpdateOff(m *metav1.ObjectMeta) bool {
	return m.GetAnnotations()[AutoUpdateAnnotation] == "false"
}

// mergeMeta adds want's labels and annotations that have lacks.
func mergeMeta(have, want *metav1.ObjectMeta) {
	if have.Labels == nil && len(want.GetLabels()) > 0 {
		have.Labels = map[string]string{}
	}
	for k, v := range want.GetLabels() {
		if _, ok := have.Labels[k]; !ok {
			have.Labels[k] = v
		}
	}
	if have.Annotations == nil && len(want.GetAnnotations()) > 0 {
		have.Annotations = map[string]string{}
	}
	for k, v := range want.GetAnnotations() {
		if _, ok := have.Annotations[k]; !ok {
			have.Annotations[k] = v
		}
	}
}

// mergeRole adds to have what want holds and have lacks. An aggregated role's rules are the
// aggregation's to write, so only its selectors are merged.
func mergeRole(have, want *rbacv1.ClusterRole) {
	mergeMeta(have.GetMetadata(), want.GetMetadata())
	if ag := want.GetAggregationRule(); ag != nil {
		if have.AggregationRule == nil {
			have.AggregationRule = &rbacv1.AggregationRule{}
		}
		have.AggregationRule.ClusterRoleSelectors = appendMissing(have.AggregationRule.ClusterRoleSelectors, ag.GetClusterRoleSelectors())
		return
	}
	have.Rules = appendMissing(have.Rules, want.GetRules())
}

// appendMissing appends to have each of add that have holds no equal of.
func appendMissing[M proto.Message](have, add []M) []M {
	for _, a := range add {
		found := false
		for _, h := range have {
			if proto.Equal(h, a) {
				found = true
				break
			}
		}
		if !found {
			have = append(have, proto.Clone(a).(M))
		}
	}
	return have
}

// reconcileBinding creates want or adds its missing subjects; a binding whose role reference
// differs is deleted and created again, since a role reference cannot change.
func reconcileBinding(ctx context.Context, st *registry.Store, want *rbacv1.ClusterRoleBinding) error {
	name := want.GetMetadata().GetName()
	recreate := false
	_, _, err := st.Modify(ctx, "", name, registry.ModifyOptions{Create: true, Retries: reconcileRetries},
		func(cur scheme.Object) (scheme.Object, error) {
			if cur == nil {
				return proto.Clone(want).(*rbacv1.ClusterRoleBinding), nil
			}
			have := cur.(*rbacv1.ClusterRoleBinding)
			if autoUpdateOff(have.GetMetadata()) {
				return have, nil
			}
			if !proto.Equal(have.GetRoleRef(), want.GetRoleRef()) {
				recreate = true
				return have, nil
			}
			mergeMeta(have.GetMetadata(), want.GetMetadata())
			have.Subjects = appendMissing(have.Subjects, want.GetSubjects())
			return have, nil
		})
	if err != nil || !recreate {
		return err
	}
	if _, _, err := st.Delete(ctx, "", name, registry.DeleteOptions{}); err != nil {
		return err
	}
	_, err = st.Create(ctx, "", proto.Clone(want).(*rbacv1.ClusterRoleBinding), registry.CreateOptions{})
	return err
}
