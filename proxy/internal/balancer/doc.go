// Package balancer chooses the endpoint a new connection or UDP flow of a service port goes to:
// round robin over the port's ready endpoints, or, with client-IP session affinity, the endpoint
// the same client used last while its session has not been idle for longer than the timeout.
//
// Time comes from an injected clock, so affinity timeouts are tested on a fake one.
package balancer
