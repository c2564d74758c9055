// Package framework starts an in-process Keelson cluster inside a Go test: one embedded etcd member
// and one or more apiservers on it, each reached through a loopback proxy the test can cut to
// simulate a crashed replica. Everything listens on 127.0.0.1 and is torn down by t.Cleanup.
package framework
