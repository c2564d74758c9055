// Package grpcapi serves keelson.resource.v1.ResourceService: it turns each RPC into a call on the
// registry and each registry error into a gRPC status carrying the Kubernetes reason and every bad
// field. It holds no logic of its own beyond that translation.
package grpcapi
