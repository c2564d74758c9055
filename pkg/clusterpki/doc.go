// Package clusterpki lays out a cluster's certificates and kubeconfigs in a directory: the
// cluster CA, the API server's serving certificate, one client certificate and kubeconfig per
// component and for the admin, the API server's own client certificate (to kubelets and etcd) and
// the service-account key pair. Generating again keeps the CA and every file that still fits.
package clusterpki
