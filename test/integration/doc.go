// Package integration holds Keelson's integration tests: each starts an in-process cluster (embedded
// etcd and real apiservers) with the framework package and drives it through the Go client.
package integration
