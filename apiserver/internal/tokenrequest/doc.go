// Package tokenrequest issues bound service account tokens: it serves the serviceaccounts/token
// subresource (authentication.k8s.io/v1 TokenRequest) as Kubernetes does. A token names its
// audiences, expires (10 minutes at least, an hour by default) and may be bound to a Pod or a
// Secret, whose uid it records so that the authenticator can refuse it once that object is gone.
package tokenrequest
