package integration

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func clone[T scheme.Object](obj T) T { return proto.Clone(obj).(T) }

// crud drives every verb of one kind through the typed client and checks each error case.
func crud[T scheme.Object](t *testing.T, c *client.Client, namespace string, fx kindFixture[T]) {
	t.Helper()
	ctx := testContext(t)
	r := client.For[T](c, namespace)
	k := r.Kind()

	created, err := r.Create(ctx, fx.valid("first"))
	require.NoError(t, err)
	m := created.GetMetadata()
	require.NotEmpty(t, m.GetUid())
	require.NotEmpty(t, m.GetResourceVersion())
	require.NotNil(t, m.GetCreationTimestamp())
	require.Equal(t, int64(1), m.GetGeneration())
	if k.Namespaced {
		require.Equal(t, namespace, m.GetNamespace())
	}

	got, err := r.Get(ctx, "first")
	require.NoError(t, err)
	require.True(t, proto.Equal(created, got), "get returns what create stored")

	_, err = r.Create(ctx, fx.valid("first"))
	require.True(t, apierrors.IsAlreadyExists(err), "create of an existing name: %v", err)

	_, err = r.Get(ctx, "missing")
	require.True(t, apierrors.IsNotFound(err), "get of a missing name: %v", err)

	// Invalid objects are refused, naming every bad field, and nothing is stored.
	_, err = r.Create(ctx, fx.invalid("bad"))
	require.True(t, apierrors.IsInvalid(err), "invalid object: %v", err)
	var fields []string
	for _, cause := range apierrors.Causes(err) {
		fields = append(fields, cause.Field)
	}
	for _, f := range fx.badFields {
		require.Contains(t, fields, f, "every bad field is named: %v", err)
	}
	_, err = r.Get(ctx, "bad")
	require.True(t, apierrors.IsNotFound(err))

	// Update bumps generation on a spec change and keeps status out of it.
	upd := clone(got)
	fx.spec(upd)
	if fx.status != nil {
		fx.status(upd) // ignored by a plain update
	}
	updated, err := r.Update(ctx, upd)
	require.NoError(t, err)
	require.NotEqual(t, got.GetMetadata().GetResourceVersion(), updated.GetMetadata().GetResourceVersion())
	if _, hasSpec := scheme.Field(updated, "spec"); hasSpec && !fieldEqual(got, updated, "spec") {
		require.Equal(t, int64(2), updated.GetMetadata().GetGeneration(), "spec change bumps generation")
	} else {
		require.Equal(t, int64(1), updated.GetMetadata().GetGeneration(), "no spec change, no new generation")
	}
	if fx.status != nil {
		withStatus := clone(got)
		fx.status(withStatus)
		require.False(t, fieldEqual(updated, withStatus, "status"), "update does not write status")
	}

	// A write with the old resourceVersion conflicts.
	stale := clone(got)
	fx.spec(stale)
	_, err = r.Update(ctx, stale)
	require.True(t, apierrors.IsConflict(err), "stale resourceVersion: %v", err)

	if fx.status != nil {
		st := clone(updated)
		fx.status(st)
		fx.spec(st) // ignored by a status update
		afterStatus, err := r.UpdateStatus(ctx, st)
		require.NoError(t, err)
		require.True(t, fieldEqual(afterStatus, st, "status"), "status update writes status")
		require.Equal(t, updated.GetMetadata().GetGeneration(), afterStatus.GetMetadata().GetGeneration(), "status update leaves generation")
		_, err = r.UpdateStatus(ctx, st)
		require.True(t, apierrors.IsConflict(err), "stale status update: %v", err)
	}

	list, err := r.List(ctx, client.ListOptions{})
	require.NoError(t, err)
	names := map[string]bool{}
	for _, item := range list.Items {
		names[item.GetMetadata().GetName()] = true
	}
	require.True(t, names["first"])
	require.NotEmpty(t, list.ResourceVersion)

	require.NoError(t, r.Delete(ctx, "first"))
	if held, err := r.Get(ctx, "first"); err == nil {
		// Only a namespace outlives its delete here: spec.finalizers wait for the namespace
		// controller, which clears them through the finalize subresource.
		require.Equal(t, "Namespace", k.Kind, "only namespaces are held by their spec")
		require.NotNil(t, held.GetMetadata().GetDeletionTimestamp())
		finalized := clone(held)
		any(finalized).(*corev1.Namespace).Spec.Finalizers = nil
		_, err = r.UpdateSubresource(ctx, finalized, "finalize")
		require.NoError(t, err)
	}
	_, err = r.Get(ctx, "first")
	require.True(t, apierrors.IsNotFound(err), "deleted: %v", err)
	require.True(t, apierrors.IsNotFound(r.Delete(ctx, "first")), "delete of a missing name")

	if k.Namespaced {
		_, err = client.For[T](c, "no-such-namespace").Create(ctx, fx.valid("orphan"))
		require.True(t, apierrors.IsNotFound(err), "namespace must exist: %v", err)
		require.Contains(t, err.Error(), "no-such-namespace")
	}
}

func fieldEqual(a, b scheme.Object, field string) bool {
	fd, ok := scheme.Field(a, protoreflect.Name(field))
	if !ok {
		return true
	}
	ar, br := a.ProtoReflect(), b.ProtoReflect()
	return proto.Equal(ar.Get(fd).Message().Interface(), br.Get(fd).Message().Interface())
}

func TestCRUDEveryKind(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ns := "default"
	tests := []struct {
		kind string
		run  func(t *testing.T)
	}{
		{"Pod", func(t *testing.T) { t.Helper(); crud(t, c, ns, podFixture()) }},
		{"Node", func(t *testing.T) { t.Helper(); crud(t, c, "", nodeFixture()) }},
		{"Service", func(t *testing.T) { t.Helper(); crud(t, c, ns, serviceFixture()) }},
		{"Endpoints", func(t *testing.T) { t.Helper(); crud(t, c, ns, endpointsFixture()) }},
		{"Namespace", func(t *testing.T) { t.Helper(); crud(t, c, "", namespaceFixture()) }},
		{"ReplicationController", func(t *testing.T) { t.Helper(); crud(t, c, ns, rcFixture()) }},
		{"Event", func(t *testing.T) { t.Helper(); crud(t, c, ns, eventFixture()) }},
		{"ConfigMap", func(t *testing.T) { t.Helper(); crud(t, c, ns, configMapFixture()) }},
		{"Secret", func(t *testing.T) { t.Helper(); crud(t, c, ns, secretFixture()) }},
		{"ServiceAccount", func(t *testing.T) { t.Helper(); crud(t, c, ns, serviceAccountFixture()) }},
		{"ResourceQuota", func(t *testing.T) { t.Helper(); crud(t, c, ns, quotaFixture()) }},
		{"ReplicaSet", func(t *testing.T) { t.Helper(); crud(t, c, ns, replicaSetFixture()) }},
		{"Deployment", func(t *testing.T) { t.Helper(); crud(t, c, ns, deploymentFixture()) }},
		{"DaemonSet", func(t *testing.T) { t.Helper(); crud(t, c, ns, daemonSetFixture()) }},
		{"StatefulSet", func(t *testing.T) { t.Helper(); crud(t, c, ns, statefulSetFixture()) }},
		{"ControllerRevision", func(t *testing.T) { t.Helper(); crud(t, c, ns, controllerRevisionFixture()) }},
		{"Job", func(t *testing.T) { t.Helper(); crud(t, c, ns, jobFixture()) }},
		{"Lease", func(t *testing.T) { t.Helper(); crud(t, c, ns, leaseFixture()) }},
		{"Role", func(t *testing.T) { t.Helper(); crud(t, c, ns, roleFixture()) }},
		{"ClusterRole", func(t *testing.T) { t.Helper(); crud(t, c, "", clusterRoleFixture()) }},
		{"RoleBinding", func(t *testing.T) { t.Helper(); crud(t, c, ns, roleBindingFixture()) }},
		{"ClusterRoleBinding", func(t *testing.T) { t.Helper(); crud(t, c, "", clusterRoleBindingFixture()) }},
		{"CertificateSigningRequest", func(t *testing.T) { t.Helper(); crud(t, c, "", csrFixture(t)) }},
	}
	kinds := map[string]bool{}
	for _, tc := range tests {
		kinds[tc.kind] = true
		t.Run(tc.kind, tc.run)
	}
	for _, k := range scheme.Builtin().Kinds() {
		require.True(t, kinds[k.Kind], "kind %s has no CRUD case", k.Kind)
	}
}
