// Package rest is the apiserver's Kubernetes-compatible REST edge: the paths, discovery documents,
// JSON shapes, tables, watch streams and Status errors the stock kubectl and client-go expect. Every
// request is served by the registry, the service layer the gRPC edge shares; this package only
// translates between HTTP and registry calls and between Keelson's protobuf messages and the JSON
// Kubernetes' own types produce.
package rest
