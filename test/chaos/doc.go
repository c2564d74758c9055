// Package chaos runs a highly available Keelson control plane from the built binaries — three
// etcd members (Debian's etcd-server), three apiservers, the real HAProxy with the shipped
// configuration, two schedulers, two controller managers and two kubelets — all on loopback
// with dynamic ports, secured as shipped: keelson-pki writes the cluster's CA and certificates,
// the apiservers serve TLS, verify client certificates and authorize with Node and RBAC, every
// daemon and the test's writers (the admin) have an identity of their own, and HAProxy checks
// the apiservers' /readyz over TLS against the cluster CA. It kills its parts with SIGKILL one
// after another under a bounded write load, checking after each kill that no acknowledged write
// was lost or reordered and that a ReplicaSet has exactly the pods it asks for.
//
// Cluster starts and supervises the processes (a killed one is started again with the same
// arguments, as systemd's Restart=always would); Writer is the write load and its history check;
// PodTracker counts the pods a ReplicaSet ever got. TestChaos in this package drives them.
package chaos
