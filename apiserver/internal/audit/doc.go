// Package audit records who did what to which object, as Kubernetes' audit log does at its
// Metadata level: one audit.k8s.io/v1 Event per request as a JSON line, with the user, the verb,
// the object's reference and the response code, but neither request nor response body.
//
// The HTTP middleware and the gRPC interceptors go inside authentication, which puts the user in
// the request's context (user.FromContext); a request without one is recorded with what is known.
// Events queue in a bounded buffer that Logger.Run writes out, so a slow disk never holds a request
// for long: past a short wait a full buffer drops the event and counts it.
package audit
