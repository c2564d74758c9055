// Package apierrors is the error model every Keelson API edge shares: a StatusError carries a
// Kubernetes status reason, HTTP code, message and details (the kind, name and every bad field), the
// service layer returns it, and the gRPC and REST edges translate it to their own wire forms. Clients
// get the same StatusError back from FromGRPC, so callers test errors with IsNotFound, IsConflict and
// the rest, never by string.
package apierrors
