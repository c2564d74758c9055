package strategy

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Set maps every built-in kind to its Strategy. It is immutable once NewSet returns and safe for
// concurrent use.
type Set struct {
	byKind map[scheme.GroupVersionKind]Strategy
}

// NewSet returns the strategies of every kind scheme.Builtin serves.
func NewSet() *Set {
	core := func(kind string) scheme.GroupVersionKind {
		return scheme.GroupVersionKind{Group: scheme.GroupCore, Version: "v1", Kind: kind}
	}
	apps := func(kind string) scheme.GroupVersionKind {
		return scheme.GroupVersionKind{Group: scheme.GroupApps, Version: "v1", Kind: kind}
	}
	rbac := func(kind string) scheme.GroupVersionKind {
		return scheme.GroupVersionKind{Group: scheme.GroupRBAC, Version: "v1", Kind: kind}
	}
	return &Set{byKind: map[scheme.GroupVersionKind]Strategy{
		core("Pod"):                   podStrategy{},
		core("Node"):                  nodeStrategy{},
		core("Service"):               serviceStrategy{},
		core("Endpoints"):             endpointsStrategy{},
		core("Namespace"):             namespaceStrategy{},
		core("ReplicationController"): replicationControllerStrategy{},
		core("Event"):                 eventStrategy{},
		core("ConfigMap"):             configMapStrategy{},
		core("Secret"):                secretStrategy{},
		core("ServiceAccount"):        serviceAccountStrategy{},
		core("ResourceQuota"):         resourceQuotaStrategy{},
		apps("ReplicaSet"):            replicaSetStrategy{},
		apps("Deployment"):            deploymentStrategy{},
		apps("DaemonSet"):             daemonSetStrategy{},
		apps("StatefulSet"):           statefulSetStrategy{},
		apps("ControllerRevision"):    controllerRevisionStrategy{},
		{Group: scheme.GroupBatch, Version: "v1", Kind: "Job"}:          jobStrategy{},
		{Group: scheme.GroupCoordination, Version: "v1", Kind: "Lease"}: leaseStrategy{},
		rbac("Role"):               roleStrategy{namespaced: true},
		rbac("ClusterRole"):        roleStrategy{},
		rbac("RoleBinding"):        bindingStrategy{namespaced: true},
		rbac("ClusterRoleBinding"): bindingStrategy{},
		{Group: scheme.GroupCertificates, Version: "v1", Kind: "CertificateSigningRequest"}: csrStrategy{},
	}}
}

// ForKind returns k's strategy, or nil when the set has none for it.
func (s *Set) ForKind(k *scheme.Kind) Strategy {
	return s.byKind[k.GroupVersionKind]
}

// metaFields returns the selectable fields every kind has.
func metaFields(obj scheme.Object, n int) map[string]string {
	f := make(map[string]string, 2+n)
	f["metadata.name"] = obj.GetMetadata().GetName()
	f["metadata.namespace"] = obj.GetMetadata().GetNamespace()
	return f
}

// noPrepare is embedded by the strategies of kinds with no server-allocated spec fields, which have
// nothing to carry over from the stored object on update.
type noPrepare struct{}

// PrepareForUpdate carries nothing over: the kind has no server-allocated fields.
func (noPrepare) PrepareForUpdate(_, _ scheme.Object) {}
