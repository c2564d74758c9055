// Package kubeconfig reads and writes Kubernetes' kubeconfig files (apiVersion v1, kind Config:
// clusters, users, contexts, current-context), so that Keelson's daemons and the stock kubectl
// share one file, and turns the current context into a pkg/client Config.
package kubeconfig
