// Package grpcapi serves keelson.resource.v1.ResourceService: it turns each RPC into a call on the
// registry and each registry error into a gRPC status carrying the Kubernetes reason and every bad
// field. It holds no logic of its own beyond that translation.
//
// A write's metadata.managedFields are recorded under the FieldManager the request names; unlike
// the REST edge, which defaults it to the user agent as Kubernetes does, a gRPC write naming none
// is not tracked: Keelson's daemons write over gRPC at rates where computing managedFields would
// triple the cost of every write, and name a manager where ownership matters.
package grpcapi
