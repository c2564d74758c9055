// Package filter is the apiserver's security edge: an HTTP middleware for the REST side and gRPC
// unary and stream interceptors that authenticate every request (401 when it carries no credential
// that names a user, or a credential that is not valid), put the user in the request's context,
// work out what the request asks as authz.Attributes, the way Kubernetes' RequestInfoFactory reads
// a path, and ask the authorizer (403 with Kubernetes' message unless it allows). The errors are
// Kubernetes' Status objects over REST and carry the same message over gRPC (Unauthenticated,
// PermissionDenied).
//
// Work the apiserver does for itself never passes through here, so its contexts carry no user.
package filter
