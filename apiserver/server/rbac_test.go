package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/rbac"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// startRBAC starts a server on an embedded etcd with --authorization-mode=RBAC and returns it
// once ready.
func startRBAC(t *testing.T) *server.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.DataDir, cfg.EtcdClientPort, cfg.EtcdPeerPort, cfg.EtcdUnsafeNoFsync = t.TempDir(), 0, 0, true
	cfg.CompactionInterval = 0
	cfg.AuthorizationModes = []string{server.ModeRBAC}
	cfg.ServePlainText = true
	srv, err := server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("stopped while starting: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not ready after 30s")
	}
	return srv
}

func rbacStore(t *testing.T, srv *server.Server, resource string) *registry.Store {
	t.Helper()
	st, err := srv.Registry().Store(scheme.GroupVersionResource{Group: scheme.GroupRBAC, Version: "v1", Resource: resource})
	require.NoError(t, err)
	return st
}

// eventually polls cond until it holds or 20s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 20*time.Second, 20*time.Millisecond, what)
}

func decide(t *testing.T, srv *server.Server, u *user.Info, verb, resource, ns string) authz.Decision {
	t.Helper()
	d, _, err := srv.Authorizer().Authorize(context.Background(), authz.Attributes{User: u, Verb: verb,
		ResourceRequest: true, APIVersion: "v1", Resource: resource, Namespace: ns})
	require.NoError(t, err)
	return d
}

// TestRBACBootstrapPolicyAndAuthorization starts a server with RBAC: the bootstrap policy is in
// place and aggregated, a second reconcile changes nothing and keeps additions, a user bound to
// view may read but not create, and may not grant themselves more.
func TestRBACBootstrapPolicyAndAuthorization(t *testing.T) {
	srv := startRBAC(t)
	ctx := context.Background()
	roles, bindings := rbacStore(t, srv, "clusterroles"), rbacStore(t, srv, "clusterrolebindings")

	admin := &user.Info{Name: "keelson-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}
	require.Equal(t, authz.Allow, decide(t, srv, admin, "delete", "nodes", ""))
	anon := &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	d, _, err := srv.Authorizer().Authorize(ctx, authz.Attributes{User: anon, Verb: "get", Path: "/readyz"})
	require.NoError(t, err)
	require.Equal(t, authz.Allow, d)
	require.Equal(t, authz.NoOpinion, decide(t, srv, anon, "list", "pods", "default"))
	// The controller manager's one identity does what each of its controllers needs, the root
	// CA publisher's kube-root-ca.crt in every namespace among it.
	cm := &user.Info{Name: user.KubeControllerManager, Groups: []string{user.AllAuthenticated}}
	eventually(t, "the controller manager may publish the root CA", func() bool {
		return decide(t, srv, cm, "create", "configmaps", "team") == authz.Allow
	})

	// view is the union of the roles labelled to aggregate to it.
	eventually(t, "view aggregated", func() bool {
		obj, err := roles.Get(ctx, "", "view", registry.GetOptions{})
		return err == nil && len(obj.(*rbacv1.ClusterRole).GetRules()) > 0
	})

	// A role labelled to aggregate to view joins it, and admin through edit.
	_, err = roles.Create(ctx, "", &rbacv1.ClusterRole{
		Metadata: &metav1.ObjectMeta{Name: "crontab-viewer", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:    []*rbacv1.PolicyRule{{Verbs: []string{"get"}, ApiGroups: []string{"example.com"}, Resources: []string{"crontabs"}}}},
		registry.CreateOptions{})
	require.NoError(t, err)
	for _, name := range []string{"view", "edit", "admin"} {
		eventually(t, name+" holds the crontab rule", func() bool {
			obj, err := roles.Get(ctx, "", name, registry.GetOptions{})
			if err != nil {
				return false
			}
			for _, r := range obj.(*rbacv1.ClusterRole).GetRules() {
				if slices.Equal(r.GetResources(), []string{"crontabs"}) {
					return true
				}
			}
			return false
		})
	}

	// Reconciling again writes nothing; it keeps a subject a user added and leaves a role whose
	// auto-update is off alone.
	_, _, err = bindings.Modify(ctx, "", "cluster-admin", registry.ModifyOptions{}, func(cur scheme.Object) (scheme.Object, error) {
		b := cur.(*rbacv1.ClusterRoleBinding)
		b.Subjects = append(b.Subjects, &rbacv1.Subject{Kind: "User", ApiGroup: scheme.GroupRBAC, Name: "root"})
		return b, nil
	})
	require.NoError(t, err)
	_, _, err = roles.Modify(ctx, "", "system:node-proxier", registry.ModifyOptions{}, func(cur scheme.Object) (scheme.Object, error) {
		r := cur.(*rbacv1.ClusterRole)
		r.Metadata.Annotations[rbac.AutoUpdateAnnotation] = "false"
		r.Rules = r.Rules[:1]
		return r, nil
	})
	require.NoError(t, err)
	before := map[string]string{}
	for _, name := range []string{"cluster-admin", "system:node-proxier", "system:basic-user"} {
		obj, err := roles.Get(ctx, "", name, registry.GetOptions{})
		require.NoError(t, err)
		before[name] = obj.GetMetadata().GetResourceVersion()
	}
	require.NoError(t, rbac.Reconcile(ctx, srv.Registry()))
	for name, rv := range before {
		obj, err := roles.Get(ctx, "", name, registry.GetOptions{})
		require.NoError(t, err)
		require.Equal(t, rv, obj.GetMetadata().GetResourceVersion(), "reconcile rewrote %s", name)
	}
	obj, err := bindings.Get(ctx, "", "cluster-admin", registry.GetOptions{})
	require.NoError(t, err)
	require.Len(t, obj.(*rbacv1.ClusterRoleBinding).GetSubjects(), 2)

	// jane may only view in default.
	jane := &user.Info{Name: "jane", Groups: []string{user.AllAuthenticated}}
	_, err = rbacStore(t, srv, "rolebindings").Create(ctx, "default", &rbacv1.RoleBinding{
		Metadata: &metav1.ObjectMeta{Name: "jane-view"}, RoleRef: &rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects: []*rbacv1.Subject{{Kind: "User", Name: "jane"}}}, registry.CreateOptions{})
	require.NoError(t, err)
	eventually(t, "jane may list pods", func() bool { return decide(t, srv, jane, "list", "pods", "default") == authz.Allow })
	require.Equal(t, authz.NoOpinion, decide(t, srv, jane, "create", "pods", "default"))
	require.Equal(t, authz.NoOpinion, decide(t, srv, jane, "list", "pods", "kube-system"))
	require.Equal(t, authz.NoOpinion, decide(t, srv, jane, "get", "secrets", "default"))

	// jane may not grant herself edit, nor write a role with more than view; an admin may.
	asJane := user.NewContext(ctx, jane)
	_, err = rbacStore(t, srv, "rolebindings").Create(asJane, "default", &rbacv1.RoleBinding{
		Metadata: &metav1.ObjectMeta{Name: "jane-edit"}, RoleRef: &rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"},
		Subjects: []*rbacv1.Subject{{Kind: "User", Name: "jane"}}}, registry.CreateOptions{})
	require.True(t, apierrors.IsForbidden(err), "binding edit as jane: %v", err)
	creator := &rbacv1.Role{Metadata: &metav1.ObjectMeta{Name: "creator"}, Rules: []*rbacv1.PolicyRule{
		{Verbs: []string{"create"}, ApiGroups: []string{""}, Resources: []string{"pods"}}}}
	_, err = rbacStore(t, srv, "roles").Create(asJane, "default", proto.Clone(creator).(*rbacv1.Role), registry.CreateOptions{})
	require.True(t, apierrors.IsForbidden(err), "role as jane: %v", err)
	require.Contains(t, err.Error(), `user "jane"`)
	_, err = rbacStore(t, srv, "roles").Create(user.NewContext(ctx, admin), "default", creator, registry.CreateOptions{})
	require.NoError(t, err)

	// SubjectAccessReview over gRPC answers the same.
	c, err := client.New(client.Config{Endpoints: []string{srv.Addr().String()}})
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	sar := func(verb string) bool {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := client.For[*authorizationv1.SubjectAccessReview](c, "").Create(ctx, &authorizationv1.SubjectAccessReview{
			Metadata: &metav1.ObjectMeta{},
			Spec: &authorizationv1.SubjectAccessReviewSpec{User: "jane", Groups: []string{user.AllAuthenticated},
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verb, Resource: "pods", Namespace: "default", Version: "v1"}}})
		require.NoError(t, err)
		return out.GetStatus().GetAllowed()
	}
	require.True(t, sar("get"))
	require.False(t, sar("create"))
}

// tokenUsers identifies REST callers by bearer token, standing in for the authentication filter.
func tokenUsers(next http.Handler, users map[string]*user.Info) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if u, known := users[tok]; ok && known {
			r = r.WithContext(user.NewContext(r.Context(), u))
		}
		next.ServeHTTP(w, r)
	})
}

// TestRBACWithKubectl drives the real kubectl against the REST API of a server with RBAC, as jane
// (bound to view in default) and as an admin: auth can-i, auth can-i --list, auth whoami, and
// get/describe/create of roles and bindings.
func TestRBACWithKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl must be on PATH (make deps checks for it)")
	srv := startRBAC(t)
	ctx := context.Background()
	_, err = rbacStore(t, srv, "rolebindings").Create(ctx, "default", &rbacv1.RoleBinding{
		Metadata: &metav1.ObjectMeta{Name: "jane-view"}, RoleRef: &rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects: []*rbacv1.Subject{{Kind: "User", Name: "jane"}}}, registry.CreateOptions{})
	require.NoError(t, err)
	jane := &user.Info{Name: "jane", UID: "u-1", Groups: []string{"devs", user.AllAuthenticated}}
	eventually(t, "jane may list pods", func() bool { return decide(t, srv, jane, "list", "pods", "default") == authz.Allow })

	mux := http.NewServeMux()
	require.NoError(t, rest.New(srv.Registry(), zap.NewNop(), rest.Limits{Inflight: limits.New(limits.Config{})}).Install(mux))
	ts := httptest.NewTLSServer(tokenUsers(mux, map[string]*user.Info{
		"jane-token":  jane,
		"admin-token": {Name: "keelson-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}},
	}))
	defer ts.Close()
	run := func(token string, args ...string) (string, error) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, kubectl, append([]string{"--server=" + ts.URL, "--token=" + token,
			"--insecure-skip-tls-verify", "--cache-dir=" + t.TempDir(), "--kubeconfig=/dev/null"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	canI := func(token string, args ...string) string {
		t.Helper()
		out, err := run(token, append([]string{"auth", "can-i"}, args...)...)
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("kubectl auth can-i %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(out)
	}
	require.Equal(t, "yes", canI("jane-token", "list", "pods", "-n", "default"))
	require.Equal(t, "no", canI("jane-token", "create", "pods", "-n", "default"))
	require.Equal(t, "no", canI("jane-token", "list", "pods", "-n", "kube-system"))
	require.Equal(t, "yes", canI("admin-token", "create", "pods", "-n", "default"))

	out, err := run("jane-token", "auth", "can-i", "--list", "-n", "default")
	require.NoError(t, err, out)
	require.Contains(t, out, "pods")
	require.Contains(t, out, "selfsubjectaccessreviews.authorization.k8s.io")

	out, err = run("jane-token", "auth", "whoami")
	require.NoError(t, err, out)
	require.Contains(t, out, "jane")
	require.Contains(t, out, "devs")

	out, err = run("admin-token", "create", "role", "pod-reader", "-n", "default", "--verb=get,list", "--resource=pods")
	require.NoError(t, err, out)
	out, err = run("admin-token", "create", "rolebinding", "read-pods", "-n", "default", "--role=pod-reader", "--user=bob", "--group=auditors")
	require.NoError(t, err, out)
	out, err = run("admin-token", "create", "clusterrolebinding", "bob-view", "--clusterrole=view", "--user=bob")
	require.NoError(t, err, out)
	out, err = run("admin-token", "create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes")
	require.NoError(t, err, out)
	out, err = run("admin-token", "get", "rolebinding", "read-pods", "-n", "default", "-o", "wide")
	require.NoError(t, err, out)
	require.Contains(t, out, "Role/pod-reader")
	require.Contains(t, out, "auditors")
	out, err = run("admin-token", "get", "clusterroles")
	require.NoError(t, err, out)
	require.Contains(t, out, "system:kube-controller-manager")
	out, err = run("admin-token", "describe", "clusterrole", "node-reader")
	require.NoError(t, err, out)
	require.Contains(t, out, "nodes")
	for _, r := range []string{"selfsubjectaccessreviews", "selfsubjectreviews", "clusterroles.rules", "rolebindings.roleRef"} {
		out, err = run("admin-token", "explain", r)
		require.NoError(t, err, out)
		require.Contains(t, out, "FIELDS:", "kubectl explain %s", r)
	}
	out, err = run("admin-token", "get", "clusterrolebinding", "bob-view")
	require.NoError(t, err, out)
	require.Contains(t, out, "ClusterRole/view")
}
