// Package limits bounds what clients may hold of the apiserver at once: requests in flight,
// read-only and mutating apart as Kubernetes' --max-requests-inflight and
// --max-mutating-requests-inflight do, and open watches per client. Both API edges share one
// Limiter, so a REST and a gRPC request count against the same bounds. Long-running requests
// (watches, followed logs) are not requests in flight: they would starve everything else.
package limits
