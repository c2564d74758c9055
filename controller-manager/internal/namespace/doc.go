// Package namespace finishes the deletion of namespaces, as Kubernetes' namespace controller
// does. The apiserver marks a deleted namespace Terminating and keeps it while its
// spec.finalizers name "kubernetes"; this controller then deletes every object of every
// namespaced kind the scheme knows in it, reports in the namespace's status conditions what is
// left and why (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining),
// retries with backoff while objects remain (finalizers holding them, pods terminating), and
// once the namespace is empty removes "kubernetes" through the finalize subresource, which lets
// the apiserver remove the namespace.
package namespace
