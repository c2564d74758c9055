package client

import (
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// Roles returns the role client of namespace ("" for all namespaces).
func (c *Client) Roles(namespace string) *Resource[*rbacv1.Role] {
	return For[*rbacv1.Role](c, namespace)
}

// ClusterRoles returns the cluster role client.
func (c *Client) ClusterRoles() *Resource[*rbacv1.ClusterRole] {
	return For[*rbacv1.ClusterRole](c, "")
}

// RoleBindings returns the role binding client of namespace ("" for all namespaces).
func (c *Client) RoleBindings(namespace string) *Resource[*rbacv1.RoleBinding] {
	return For[*rbacv1.RoleBinding](c, namespace)
}

// ClusterRoleBindings returns the cluster role binding client.
func (c *Client) ClusterRoleBindings() *Resource[*rbacv1.ClusterRoleBinding] {
	return For[*rbacv1.ClusterRoleBinding](c, "")
}
