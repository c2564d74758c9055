package rbac

import (
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// Labels and annotations of the bootstrap policy, as Kubernetes spells them.
const (
	// AutoUpdateAnnotation set to "false" on a bootstrap role or binding stops Reconcile from
	// adding to it.
	AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate"
	bootstrappingLabel   = "kubernetes.io/bootstrapping"
	bootstrappingValue   = "rbac-defaults"
	aggregateToAdmin     = "rbac.authorization.k8s.io/aggregate-to-admin"
	aggregateToEdit      = "rbac.authorization.k8s.io/aggregate-to-edit"
	aggregateToView      = "rbac.authorization.k8s.io/aggregate-to-view"
	// MonitoringGroup is bound to system:monitoring.
	MonitoringGroup = "system:monitoring"
)

// Verb sets.
var (
	read      = []string{"get", "list", "watch"}
	write     = []string{"create", "delete", "deletecollection", "patch", "update"}
	readWrite = []string{"get", "list", "watch", "create", "delete", "deletecollection", "patch", "update"}
	recordEvt = []string{"create", "patch", "update"}
)

// API groups the rules name.
const (
	core    = scheme.GroupCore
	apps    = scheme.GroupApps
	batch   = scheme.GroupBatch
	coord   = scheme.GroupCoordination
	rbacGrp = scheme.GroupRBAC
	authzG  = scheme.GroupAuthz
	authnG  = scheme.GroupAuthn
	certs   = "certificates.k8s.io"
	policy  = "policy"
)

// rule grants verbs on resources of group.
func rule(verbs []string, group string, resources ...string) *rbacv1.PolicyRule {
	return &rbacv1.PolicyRule{Verbs: verbs, ApiGroups: []string{group}, Resources: resources}
}

// named restricts r to the named objects.
func named(r *rbacv1.PolicyRule, names ...string) *rbacv1.PolicyRule {
	r.ResourceNames = names
	return r
}

// urls grants verbs on non-resource paths.
func urls(verbs []string, paths ...string) *rbacv1.PolicyRule {
	return &rbacv1.PolicyRule{Verbs: verbs, NonResourceUrls: paths}
}

// bootstrapMeta labels and annotates a bootstrap object as Kubernetes does.
func bootstrapMeta(name string, labels map[string]string) *metav1.ObjectMeta {
	l := map[string]string{bootstrappingLabel: bootstrappingValue}
	for k, v := range labels {
		l[k] = v
	}
	return &metav1.ObjectMeta{Name: name, Labels: l, Annotations: map[string]string{AutoUpdateAnnotation: "true"}}
}

func clusterRole(name string, labels map[string]string, rules ...*rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{Metadata: bootstrapMeta(name, labels), Rules: rules}
}

// aggregated is a cluster role whose rules are those of the cluster roles labelled label=true.
func aggregated(name, label string, labels map[string]string) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{Metadata: bootstrapMeta(name, labels), AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []*metav1.LabelSelector{{MatchLabels: map[string]string{label: "true"}}},
	}}
}

// ClusterRoles returns the bootstrap cluster roles: Kubernetes' defaults, with each component's
// role holding what Keelson's daemon of that name calls.
func ClusterRoles() []*rbacv1.ClusterRole {
	return []*rbacv1.ClusterRole{
		clusterRole("cluster-admin", nil,
			rule([]string{"*"}, "*", "*"),
			urls([]string{"*"}, "*")),
		clusterRole("system:discovery", nil,
			urls([]string{"get"}, "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")),
		clusterRole("system:basic-user", nil,
			rule([]string{"create"}, authzG, "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			rule([]string{"create"}, authnG, "selfsubjectreviews")),
		// gRPC health is the health path of gRPC clients and load balancers: pkg/client's
		// connections watch it before their first call.
		clusterRole("system:public-info-viewer", nil,
			urls([]string{"get"}, "/healthz", "/livez", "/readyz", "/version", "/version/", "/grpc.health.v1.Health/*")),
		clusterRole("system:monitoring", nil,
			urls([]string{"get"}, "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*")),

		aggregated("admin", aggregateToAdmin, nil),
		aggregated("edit", aggregateToEdit, map[string]string{aggregateToAdmin: "true"}),
		aggregated("view", aggregateToView, map[string]string{aggregateToEdit: "true"}),
		clusterRole("system:aggregate-to-admin", map[string]string{aggregateToAdmin: "true"},
			rule(readWrite, rbacGrp, "roles", "rolebindings"),
			rule([]string{"create"}, authzG, "localsubjectaccessreviews")),
		clusterRole("system:aggregate-to-edit", map[string]string{aggregateToEdit: "true"},
			rule(write, core, "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
				"configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
				"secrets", "serviceaccounts", "services", "services/proxy"),
			rule([]string{"create"}, core, "pods/eviction", "serviceaccounts/token"),
			rule(read, core, "secrets", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"),
			rule([]string{"impersonate"}, core, "serviceaccounts"),
			rule(write, apps, "daemonsets", "deployments", "deployments/rollback", "deployments/scale",
				"replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"),
			rule(write, batch, "jobs", "cronjobs"),
			rule(write, policy, "poddisruptionbudgets"),
			rule(readWrite, coord, "leases")),
		clusterRole("system:aggregate-to-view", map[string]string{aggregateToView: "true"},
			rule(read, core, "pods", "pods/log", "pods/status", "configmaps", "endpoints", "events", "limitranges",
				"persistentvolumeclaims", "persistentvolumeclaims/status", "replicationcontrollers",
				"replicationcontrollers/scale", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status",
				"serviceaccounts", "services", "services/status", "bindings", "namespaces", "namespaces/status"),
			rule(read, apps, "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
				"deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
				"statefulsets", "statefulsets/scale", "statefulsets/status"),
			rule(read, batch, "jobs", "jobs/status", "cronjobs", "cronjobs/status"),
			rule(read, policy, "poddisruptionbudgets", "poddisruptionbudgets/status")),

		// The kubelet's rules. No user is bound to them: the Node authorizer decides for
		// kubelets, and the binding of the same name is kept without subjects, as Kubernetes does.
		clusterRole("system:node", nil,
			rule([]string{"create"}, authnG, "tokenreviews"),
			rule([]string{"create"}, authzG, "subjectaccessreviews", "localsubjectaccessreviews"),
			rule(read, core, "services", "nodes"),
			rule([]string{"create", "get", "list", "watch", "patch", "update"}, core, "nodes"),
			rule([]string{"patch", "update"}, core, "nodes/status"),
			rule(recordEvt, core, "events"),
			rule([]string{"get", "list", "watch", "create", "delete"}, core, "pods"),
			rule([]string{"patch", "update"}, core, "pods/status"),
			rule([]string{"create"}, core, "pods/eviction", "serviceaccounts/token"),
			rule(read, core, "configmaps", "secrets"),
			rule([]string{"get"}, core, "persistentvolumeclaims", "persistentvolumes", "endpoints"),
			rule([]string{"create", "get", "list", "watch"}, certs, "certificatesigningrequests"),
			rule([]string{"create", "delete", "get", "patch", "update"}, coord, "leases")),
		clusterRole("system:node-bootstrapper", nil,
			rule([]string{"create", "get", "list", "watch"}, certs, "certificatesigningrequests")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", nil,
			rule([]string{"create"}, certs, "certificatesigningrequests/nodeclient")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", nil,
			rule([]string{"create"}, certs, "certificatesigningrequests/selfnodeclient")),

		// The scheduler watches pods, nodes and what spreading reads, binds pods, writes their
		// scheduling condition, records events and holds its leader lease.
		clusterRole("system:kube-scheduler", nil,
			rule(recordEvt, core, "events"),
			rule([]string{"create", "get", "update"}, coord, "leases"),
			rule(read, core, "nodes", "namespaces", "replicationcontrollers", "services", "persistentvolumeclaims", "persistentvolumes"),
			rule([]string{"get", "list", "watch", "delete"}, core, "pods"),
			rule([]string{"create"}, core, "pods/binding", "bindings"),
			rule([]string{"patch", "update"}, core, "pods/status"),
			rule(read, apps, "replicasets", "statefulsets"),
			rule(read, policy, "poddisruptionbudgets"),
			rule([]string{"create"}, authnG, "tokenreviews"),
			rule([]string{"create"}, authzG, "subjectaccessreviews")),

		// The controller manager runs every controller under its one identity: the garbage
		// collector, the namespace and quota controllers read, update and delete objects of
		// every kind; the workload controllers create pods, replica sets and revisions; the
		// service account controllers create accounts and token secrets; the root CA publisher
		// creates kube-root-ca.crt in every namespace; the certificate controllers approve
		// kubelets' client certificates and sign with the cluster signers.
		clusterRole("system:kube-controller-manager", nil,
			rule([]string{"get", "list", "watch", "patch", "update", "delete", "deletecollection"}, "*", "*"),
			rule([]string{"create"}, core, "pods", "events", "endpoints", "serviceaccounts", "secrets", "configmaps",
				"namespaces", "pods/eviction", "pods/binding", "serviceaccounts/token"),
			rule([]string{"create"}, apps, "replicasets", "controllerrevisions"),
			rule([]string{"create"}, batch, "jobs"),
			rule([]string{"create"}, coord, "leases"),
			named(rule([]string{"approve"}, certs, "signers"), "kubernetes.io/kube-apiserver-client-kubelet"),
			named(rule([]string{"sign"}, certs, "signers"), "kubernetes.io/kube-apiserver-client",
				"kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown"),
			rule([]string{"create"}, authnG, "tokenreviews"),
			rule([]string{"create"}, authzG, "subjectaccessreviews")),

		// The proxy mirrors services and endpoints and records events.
		clusterRole("system:node-proxier", nil,
			rule(read, core, "services", "endpoints", "nodes"),
			rule(read, "discovery.k8s.io", "endpointslices"),
			rule(recordEvt, core, "events")),
	}
}

func clusterBinding(name string, subjects ...*rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{Metadata: bootstrapMeta(name, nil), Subjects: subjects,
		RoleRef: &rbacv1.RoleRef{ApiGroup: scheme.GroupRBAC, Kind: "ClusterRole", Name: name}}
}

func groups(names ...string) []*rbacv1.Subject {
	out := make([]*rbacv1.Subject, 0, len(names))
	for _, n := range names {
		out = append(out, &rbacv1.Subject{Kind: "Group", ApiGroup: scheme.GroupRBAC, Name: n})
	}
	return out
}

func userSubject(name string) *rbacv1.Subject {
	return &rbacv1.Subject{Kind: "User", ApiGroup: scheme.GroupRBAC, Name: name}
}

// ClusterRoleBindings returns the bootstrap cluster role bindings, each named after its role.
func ClusterRoleBindings() []*rbacv1.ClusterRoleBinding {
	return []*rbacv1.ClusterRoleBinding{
		clusterBinding("cluster-admin", groups(user.SystemPrivilegedGroup)...),
		clusterBinding("system:monitoring", groups(MonitoringGroup)...),
		clusterBinding("system:discovery", groups(user.AllAuthenticated)...),
		clusterBinding("system:basic-user", groups(user.AllAuthenticated)...),
		clusterBinding("system:public-info-viewer", groups(user.AllAuthenticated, user.AllUnauthenticated)...),
		clusterBinding("system:node-proxier", userSubject(user.KubeProxy)),
		clusterBinding("system:kube-controller-manager", userSubject(user.KubeControllerManager)),
		clusterBinding("system:kube-scheduler", userSubject(user.KubeScheduler)),
		// Kept without subjects: the Node authorizer decides for kubelets (Kubernetes 1.8 on).
		clusterBinding("system:node"),
		// Kubelets join with a bootstrap token and renew their own certificates.
		clusterBinding("system:node-bootstrapper", groups(user.BootstrappersGroup)...),
		clusterBinding("system:certificates.k8s.io:certificatesigningrequests:nodeclient", groups(user.BootstrappersGroup)...),
		clusterBinding("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", groups(user.NodesGroup)...),
	}
}
