package rbac

import (
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/scheme"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// objects is the RBAC state the authorizer evaluates: every role and binding, keyed by
// "<namespace>/<name>" (cluster-scoped ones by name).
type objects struct {
	roles               map[string]*rbacv1.Role
	clusterRoles        map[string]*rbacv1.ClusterRole
	roleBindings        map[string]*rbacv1.RoleBinding
	clusterRoleBindings map[string]*rbacv1.ClusterRoleBinding
}

func newObjects() *objects {
	return &objects{
		roles:               map[string]*rbacv1.Role{},
		clusterRoles:        map[string]*rbacv1.ClusterRole{},
		roleBindings:        map[string]*rbacv1.RoleBinding{},
		clusterRoleBindings: map[string]*rbacv1.ClusterRoleBinding{},
	}
}

// objectKey is the key of obj in objects.
func objectKey(obj scheme.Object) string {
	m := obj.GetMetadata()
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}

// put stores obj, or removes it when deleted; objects of other kinds are ignored.
func (o *objects) put(obj scheme.Object, deleted bool) {
	key := objectKey(obj)
	switch v := obj.(type) {
	case *rbacv1.Role:
		putOrDelete(o.roles, key, v, deleted)
	case *rbacv1.ClusterRole:
		putOrDelete(o.clusterRoles, key, v, deleted)
	case *rbacv1.RoleBinding:
		putOrDelete(o.roleBindings, key, v, deleted)
	case *rbacv1.ClusterRoleBinding:
		putOrDelete(o.clusterRoleBindings, key, v, deleted)
	}
}

func putOrDelete[T any](m map[string]T, key string, v T, deleted bool) {
	if deleted {
		delete(m, key)
		return
	}
	m[key] = v
}

// grant is one binding's grant of one role's rules, with what a decision's reason names.
type grant struct {
	bindingKind, binding, namespace string
	roleKind, role                  string
	subject                         string
	rules                           []*rbacv1.PolicyRule
	// why is the reason an Allow through this grant gives, written once when indexed.
	why string
}

// withReason fills in g's reason and returns g.
func (g *grant) withReason() *grant {
	g.why = g.reason()
	return g
}

// index is an immutable view of objects, with the grants of each subject: "u:<user>" for users
// and service accounts (as their user names), "g:<group>" for groups; and the cache of the
// decisions taken on it, which lives and dies with it.
type index struct {
	cluster    map[string][]*grant
	namespaced map[string]map[string][]*grant
	decisions  *decisionCache
}

// subjectKey returns the index key of a binding's subject; ns is a role binding's namespace,
// which a service account subject without one lives in.
func subjectKey(s *rbacv1.Subject, ns string) (string, bool) {
	switch s.GetKind() {
	case "User":
		return "u:" + s.GetName(), true
	case "Group":
		return "g:" + s.GetName(), true
	case "ServiceAccount":
		if s.GetNamespace() != "" {
			ns = s.GetNamespace()
		}
		return "u:" + user.ServiceAccountPrefix + ns + ":" + s.GetName(), true
	}
	return "", false
}

// userKeys are the index keys a user's grants are found under.
func userKeys(u *user.Info) []string {
	keys := make([]string, 0, 1+len(u.Groups))
	keys = append(keys, "u:"+u.Name)
	for _, g := range u.Groups {
		keys = append(keys, "g:"+g)
	}
	return keys
}

// build indexes o.
func (o *objects) build() *index {
	idx := &index{cluster: map[string][]*grant{}, namespaced: map[string]map[string][]*grant{}}
	for _, b := range o.clusterRoleBindings {
		rules := o.clusterRoles[b.GetRoleRef().GetName()].GetRules()
		if b.GetRoleRef().GetKind() != "ClusterRole" {
			rules = nil
		}
		for _, s := range b.GetSubjects() {
			key, ok := subjectKey(s, "")
			if !ok {
				continue
			}
			idx.cluster[key] = append(idx.cluster[key], (&grant{
				bindingKind: "ClusterRoleBinding", binding: b.GetMetadata().GetName(),
				roleKind: "ClusterRole", role: b.GetRoleRef().GetName(), subject: subjectString(s), rules: rules,
			}).withReason())
		}
	}
	for _, b := range o.roleBindings {
		ns := b.GetMetadata().GetNamespace()
		var rules []*rbacv1.PolicyRule
		switch ref := b.GetRoleRef(); ref.GetKind() {
		case "ClusterRole":
			rules = o.clusterRoles[ref.GetName()].GetRules()
		case "Role":
			rules = o.roles[ns+"/"+ref.GetName()].GetRules()
		}
		bySubject := idx.namespaced[ns]
		if bySubject == nil {
			bySubject = map[string][]*grant{}
			idx.namespaced[ns] = bySubject
		}
		for _, s := range b.GetSubjects() {
			key, ok := subjectKey(s, ns)
			if !ok {
				continue
			}
			bySubject[key] = append(bySubject[key], (&grant{
				bindingKind: "RoleBinding", binding: b.GetMetadata().GetName(), namespace: ns,
				roleKind: b.GetRoleRef().GetKind(), role: b.GetRoleRef().GetName(), subject: subjectString(s), rules: rules,
			}).withReason())
		}
	}
	return idx
}

// subjectString names a subject in a decision's reason, as Kubernetes does.
func subjectString(s *rbacv1.Subject) string {
	if s.GetKind() == "ServiceAccount" && s.GetNamespace() != "" {
		return s.GetKind() + " \"" + s.GetNamespace() + "/" + s.GetName() + "\""
	}
	return s.GetKind() + " \"" + s.GetName() + "\""
}

// visit calls fn with every grant that applies to u in namespace (cluster role bindings first,
// then the namespace's role bindings; "" visits only the former) until fn returns false.
func (idx *index) visit(u *user.Info, namespace string, fn func(*grant) bool) {
	keys := userKeys(u)
	for _, k := range keys {
		for _, g := range idx.cluster[k] {
			if !fn(g) {
				return
			}
		}
	}
	if namespace == "" {
		return
	}
	bySubject := idx.namespaced[namespace]
	if bySubject == nil {
		return
	}
	for _, k := range keys {
		for _, g := range bySubject[k] {
			if !fn(g) {
				return
			}
		}
	}
}

// reset forgets every object of resource.
func (o *objects) reset(resource string) {
	switch resource {
	case "roles":
		clear(o.roles)
	case "clusterroles":
		clear(o.clusterRoles)
	case "rolebindings":
		clear(o.roleBindings)
	case "clusterrolebindings":
		clear(o.clusterRoleBindings)
	}
}
