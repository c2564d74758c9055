// Package serviceaccount holds the two service account controllers of Kubernetes'
// controller manager. The service accounts controller (New) keeps a "default" ServiceAccount in
// every active namespace, recreating it when it is deleted. The tokens controller (NewTokens)
// gives every service account a Secret of type kubernetes.io/service-account-token holding a JWT
// signed with the cluster's service account key, and removes the secrets of accounts that are
// gone.
package serviceaccount
