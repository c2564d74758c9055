package scheme

import (
	"fmt"
	"strings"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// Groups of the built-in kinds, as request paths and apiVersion name them.
const (
	GroupCore         = ""
	GroupApps         = "apps"
	GroupBatch        = "batch"
	GroupCoordination = "coordination.k8s.io"
	GroupRBAC         = "rbac.authorization.k8s.io"
	GroupAuthz        = "authorization.k8s.io"
	GroupAuthn        = "authentication.k8s.io"
	GroupCertificates = "certificates.k8s.io"
)

// Builtin returns a new Scheme holding every kind Keelson serves: core v1, apps/v1, batch/v1,
// coordination.k8s.io/v1, rbac.authorization.k8s.io/v1 and certificates.k8s.io/v1, and the
// create-only reviews of authorization.k8s.io/v1 and authentication.k8s.io/v1. Binding, Eviction,
// Scale and TokenRequest are subresource payloads, not resources, and are not in it. Each call returns a fresh Scheme; none is shared.
//
// Builtin panics only if its own static table is inconsistent, which its tests rule out.
func Builtin() *Scheme {
	s, err := New(builtinKinds()...)
	if err != nil {
		panic(fmt.Sprintf("scheme: built-in kinds are inconsistent: %v", err))
	}
	return s
}

func builtinKinds() []Kind {
	all := []string{"all"}
	return []Kind{
		core("Pod", "pods", "pod", true, []string{"po"}, all,
			[]string{"status", "binding", "log", "eviction"}, func() Object { return &corev1.Pod{} }),
		core("Node", "nodes", "node", false, []string{"no"}, nil,
			[]string{"status"}, func() Object { return &corev1.Node{} }),
		core("Service", "services", "service", true, []string{"svc"}, all,
			[]string{"status"}, func() Object { return &corev1.Service{} }),
		core("Endpoints", "endpoints", "endpoints", true, []string{"ep"}, nil,
			nil, func() Object { return &corev1.Endpoints{} }),
		core("Namespace", "namespaces", "namespace", false, []string{"ns"}, nil,
			[]string{"status", "finalize"}, func() Object { return &corev1.Namespace{} }),
		core("ReplicationController", "replicationcontrollers", "replicationcontroller", true, []string{"rc"}, all,
			[]string{"status", "scale"}, func() Object { return &corev1.ReplicationController{} }),
		core("Event", "events", "event", true, []string{"ev"}, nil,
			nil, func() Object { return &corev1.Event{} }),
		core("ConfigMap", "configmaps", "configmap", true, []string{"cm"}, nil,
			nil, func() Object { return &corev1.ConfigMap{} }),
		core("Secret", "secrets", "secret", true, nil, nil,
			nil, func() Object { return &corev1.Secret{} }),
		core("ServiceAccount", "serviceaccounts", "serviceaccount", true, []string{"sa"}, nil,
			[]string{"token"}, func() Object { return &corev1.ServiceAccount{} }),
		core("ResourceQuota", "resourcequotas", "resourcequota", true, []string{"quota"}, nil,
			[]string{"status"}, func() Object { return &corev1.ResourceQuota{} }),

		apps("ReplicaSet", "replicasets", "replicaset", []string{"rs"},
			[]string{"status", "scale"}, func() Object { return &appsv1.ReplicaSet{} }),
		apps("Deployment", "deployments", "deployment", []string{"deploy"},
			[]string{"status", "scale"}, func() Object { return &appsv1.Deployment{} }),
		apps("DaemonSet", "daemonsets", "daemonset", []string{"ds"},
			[]string{"status"}, func() Object { return &appsv1.DaemonSet{} }),
		apps("StatefulSet", "statefulsets", "statefulset", []string{"sts"},
			[]string{"status", "scale"}, func() Object { return &appsv1.StatefulSet{} }),
		{
			// Not in "all", as in Kubernetes: revisions are history, not workloads.
			GroupVersionKind: GroupVersionKind{Group: GroupApps, Version: "v1", Kind: "ControllerRevision"},
			Resource:         "controllerrevisions",
			Singular:         "controllerrevision",
			Namespaced:       true,
			New:              func() Object { return &appsv1.ControllerRevision{} },
		},

		{
			GroupVersionKind: GroupVersionKind{Group: GroupBatch, Version: "v1", Kind: "Job"},
			Resource:         "jobs",
			Singular:         "job",
			Categories:       all,
			Namespaced:       true,
			Subresources:     []string{"status"},
			New:              func() Object { return &batchv1.Job{} },
		},
		{
			GroupVersionKind: GroupVersionKind{Group: GroupCoordination, Version: "v1", Kind: "Lease"},
			Resource:         "leases",
			Singular:         "lease",
			Namespaced:       true,
			New:              func() Object { return &coordinationv1.Lease{} },
		},

		{
			// approval adds or removes the Approved and Denied conditions; status holds the rest.
			GroupVersionKind: GroupVersionKind{Group: GroupCertificates, Version: "v1", Kind: "CertificateSigningRequest"},
			Resource:         "certificatesigningrequests",
			Singular:         "certificatesigningrequest",
			ShortNames:       []string{"csr"},
			Subresources:     []string{"status", "approval"},
			New:              func() Object { return &certificatesv1.CertificateSigningRequest{} },
		},

		rbac("Role", "roles", true, func() Object { return &rbacv1.Role{} }),
		rbac("ClusterRole", "clusterroles", false, func() Object { return &rbacv1.ClusterRole{} }),
		rbac("RoleBinding", "rolebindings", true, func() Object { return &rbacv1.RoleBinding{} }),
		rbac("ClusterRoleBinding", "clusterrolebindings", false, func() Object { return &rbacv1.ClusterRoleBinding{} }),

		review(GroupAuthz, "SubjectAccessReview", "subjectaccessreviews", false,
			func() Object { return &authorizationv1.SubjectAccessReview{} }),
		review(GroupAuthz, "LocalSubjectAccessReview", "localsubjectaccessreviews", true,
			func() Object { return &authorizationv1.LocalSubjectAccessReview{} }),
		review(GroupAuthz, "SelfSubjectAccessReview", "selfsubjectaccessreviews", false,
			func() Object { return &authorizationv1.SelfSubjectAccessReview{} }),
		review(GroupAuthz, "SelfSubjectRulesReview", "selfsubjectrulesreviews", false,
			func() Object { return &authorizationv1.SelfSubjectRulesReview{} }),
		review(GroupAuthn, "SelfSubjectReview", "selfsubjectreviews", false,
			func() Object { return &authenticationv1.SelfSubjectReview{} }),
	}
}

// rbac kinds have no short names, categories or subresources.
func rbac(kind, resource string, namespaced bool, newObj func() Object) Kind {
	return Kind{
		GroupVersionKind: GroupVersionKind{Group: GroupRBAC, Version: "v1", Kind: kind},
		Resource:         resource,
		Singular:         strings.ToLower(kind),
		Namespaced:       namespaced,
		New:              newObj,
	}
}

// review kinds are create-only: the server answers them and stores nothing.
func review(group, kind, resource string, namespaced bool, newObj func() Object) Kind {
	return Kind{
		GroupVersionKind: GroupVersionKind{Group: group, Version: "v1", Kind: kind},
		Resource:         resource,
		Singular:         strings.ToLower(kind),
		Namespaced:       namespaced,
		New:              newObj,
		CreateOnly:       true,
	}
}

func core(kind, resource, singular string, namespaced bool, short, categories, sub []string, newObj func() Object) Kind {
	return Kind{
		GroupVersionKind: GroupVersionKind{Group: GroupCore, Version: "v1", Kind: kind},
		Resource:         resource,
		Singular:         singular,
		ShortNames:       short,
		Categories:       categories,
		Namespaced:       namespaced,
		Subresources:     sub,
		New:              newObj,
	}
}

// apps kinds are all namespaced and all in the "all" category.
func apps(kind, resource, singular string, short, sub []string, newObj func() Object) Kind {
	return Kind{
		GroupVersionKind: GroupVersionKind{Group: GroupApps, Version: "v1", Kind: kind},
		Resource:         resource,
		Singular:         singular,
		ShortNames:       short,
		Categories:       []string{"all"},
		Namespaced:       true,
		Subresources:     sub,
		New:              newObj,
	}
}
