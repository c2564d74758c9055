package client

import (
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Pods returns the pod client of namespace ("" for all namespaces).
func (c *Client) Pods(namespace string) *Resource[*corev1.Pod] { return For[*corev1.Pod](c, namespace) }

// Nodes returns the node client.
func (c *Client) Nodes() *Resource[*corev1.Node] { return For[*corev1.Node](c, "") }

// Namespaces returns the namespace client.
func (c *Client) Namespaces() *Resource[*corev1.Namespace] { return For[*corev1.Namespace](c, "") }

// Services returns the service client of namespace.
func (c *Client) Services(namespace string) *Resource[*corev1.Service] {
	return For[*corev1.Service](c, namespace)
}

// Endpoints returns the endpoints client of namespace.
func (c *Client) Endpoints(namespace string) *Resource[*corev1.Endpoints] {
	return For[*corev1.Endpoints](c, namespace)
}

// ReplicationControllers returns the replication controller client of namespace.
func (c *Client) ReplicationControllers(namespace string) *Resource[*corev1.ReplicationController] {
	return For[*corev1.ReplicationController](c, namespace)
}

// Events returns the event client of namespace.
func (c *Client) Events(namespace string) *Resource[*corev1.Event] {
	return For[*corev1.Event](c, namespace)
}

// ConfigMaps returns the config map client of namespace.
func (c *Client) ConfigMaps(namespace string) *Resource[*corev1.ConfigMap] {
	return For[*corev1.ConfigMap](c, namespace)
}

// Secrets returns the secret client of namespace.
func (c *Client) Secrets(namespace string) *Resource[*corev1.Secret] {
	return For[*corev1.Secret](c, namespace)
}

// ServiceAccounts returns the service account client of namespace.
func (c *Client) ServiceAccounts(namespace string) *Resource[*corev1.ServiceAccount] {
	return For[*corev1.ServiceAccount](c, namespace)
}

// ResourceQuotas returns the resource quota client of namespace.
func (c *Client) ResourceQuotas(namespace string) *Resource[*corev1.ResourceQuota] {
	return For[*corev1.ResourceQuota](c, namespace)
}

// ReplicaSets returns the replica set client of namespace.
func (c *Client) ReplicaSets(namespace string) *Resource[*appsv1.ReplicaSet] {
	return For[*appsv1.ReplicaSet](c, namespace)
}

// Deployments returns the deployment client of namespace.
func (c *Client) Deployments(namespace string) *Resource[*appsv1.Deployment] {
	return For[*appsv1.Deployment](c, namespace)
}

// DaemonSets returns the daemon set client of namespace.
func (c *Client) DaemonSets(namespace string) *Resource[*appsv1.DaemonSet] {
	return For[*appsv1.DaemonSet](c, namespace)
}

// StatefulSets returns the stateful set client of namespace.
func (c *Client) StatefulSets(namespace string) *Resource[*appsv1.StatefulSet] {
	return For[*appsv1.StatefulSet](c, namespace)
}

// ControllerRevisions returns the controller revision client of namespace.
func (c *Client) ControllerRevisions(namespace string) *Resource[*appsv1.ControllerRevision] {
	return For[*appsv1.ControllerRevision](c, namespace)
}

// Jobs returns the job client of namespace.
func (c *Client) Jobs(namespace string) *Resource[*batchv1.Job] {
	return For[*batchv1.Job](c, namespace)
}

// CertificateSigningRequests returns the certificate signing request client (cluster-scoped).
func (c *Client) CertificateSigningRequests() *Resource[*certificatesv1.CertificateSigningRequest] {
	return For[*certificatesv1.CertificateSigningRequest](c, "")
}

// Leases returns the lease client of namespace.
func (c *Client) Leases(namespace string) *Resource[*coordinationv1.Lease] {
	return For[*coordinationv1.Lease](c, namespace)
}
