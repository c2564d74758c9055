// Package server is the embeddable Keelson API server: storage on etcd (an embedded member or an
// external cluster), the registry and its watch caches, and one port that serves gRPC (HTTP/2 with
// content-type application/grpc) and HTTP (health, version, metrics and the Kubernetes REST API)
// side by side. New checks the configuration without starting anything; Run builds, serves until
// its context ends, and shuts down.
package server
