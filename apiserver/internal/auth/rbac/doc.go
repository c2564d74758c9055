// Package rbac is Kubernetes' RBAC authorizer: it allows a request when a ClusterRoleBinding, or a
// RoleBinding of the request's namespace, grants the request's user a role with a rule that
// matches it, and otherwise has no opinion. It also holds the bootstrap policy the apiserver
// reconciles at start and the escalation checks on writes of roles and bindings.
//
// The authorizer reads roles and bindings from the registry's watch caches and keeps them indexed
// by subject, so a decision costs a map lookup per group of the user plus the rules of the roles
// bound to them.
package rbac
