package integration

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// managers returns "manager operation" for every managedFields entry of m.
func managers(m *metav1.ObjectMeta) []string {
	var out []string
	for _, e := range m.GetManagedFields() {
		out = append(out, e.GetManager()+" "+e.GetOperation())
	}
	return out
}

const appliedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: %d
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: nginx
        image: %s
`

// TestGRPCApplyConflictsAndForce drives server-side apply through pkg/client and checks that it
// creates, records the applier, refuses another manager's fields with the conflict REST reports,
// and takes them with Force.
func TestGRPCApplyConflictsAndForce(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	deploys := cl.Client().Deployments("default")
	config := func(replicas int, image string) []byte {
		return fmt.Appendf(nil, appliedDeployment, replicas, image)
	}

	created, err := deploys.Apply(ctx, "api", config(2, "nginx:1"), client.ApplyOptions{FieldManager: "kubectl"})
	require.NoError(t, err)
	require.Equal(t, int32(2), created.GetSpec().GetReplicas())
	require.Equal(t, []string{"kubectl Apply"}, managers(created.GetMetadata()))

	// Applying the same configuration again changes nothing.
	again, err := deploys.Apply(ctx, "api", config(2, "nginx:1"), client.ApplyOptions{FieldManager: "kubectl"})
	require.NoError(t, err)
	require.Equal(t, created.GetMetadata().GetResourceVersion(), again.GetMetadata().GetResourceVersion())

	_, err = deploys.Apply(ctx, "api", config(3, "nginx:2"), client.ApplyOptions{FieldManager: "other"})
	require.True(t, apierrors.IsConflict(err), "another manager's fields: %v", err)
	var fields []string
	for _, c := range apierrors.Causes(err) {
		fields = append(fields, c.Field)
	}
	require.ElementsMatch(t, []string{".spec.replicas", `.spec.template.spec.containers[name="nginx"].image`}, fields)

	// REST reports the same conflict for the same apply.
	code, st := restDo(t, http.MethodPatch, cl.URL(0)+"/apis/apps/v1/namespaces/default/deployments/api?fieldManager=other",
		"application/apply-patch+yaml", string(config(3, "nginx:2")))
	require.Equal(t, http.StatusConflict, code, st)
	require.Equal(t, err.Error(), st["message"])

	forced, err := deploys.Apply(ctx, "api", config(3, "nginx:2"), client.ApplyOptions{FieldManager: "other", Force: true})
	require.NoError(t, err)
	require.Equal(t, int32(3), forced.GetSpec().GetReplicas())
	require.Equal(t, "nginx:2", forced.GetSpec().GetTemplate().GetSpec().GetContainers()[0].GetImage())
	require.ElementsMatch(t, []string{"kubectl Apply", "other Apply"}, managers(forced.GetMetadata()))

	// The first applier lost the forced fields: applying its old values conflicts with "other".
	_, err = deploys.Apply(ctx, "api", config(2, "nginx:1"), client.ApplyOptions{FieldManager: "kubectl"})
	require.True(t, apierrors.IsConflict(err), "%v", err)
	require.Contains(t, err.Error(), `conflicts with "other"`)

	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
	}{
		{"an apply names its manager", func() error {
			_, err := deploys.Apply(ctx, "api", config(1, "nginx:1"), client.ApplyOptions{})
			return err
		}, apierrors.IsInvalid},
		{"the configuration names the object", func() error {
			_, err := deploys.Apply(ctx, "other-name", config(1, "nginx:1"), client.ApplyOptions{FieldManager: "m"})
			return err
		}, apierrors.IsBadRequest},
		{"only an apply forces", func() error {
			_, err := deploys.Patch(ctx, "api", client.MergePatch, []byte(`{"spec":{"replicas":1}}`), client.PatchOptions{Force: true})
			return err
		}, apierrors.IsInvalid},
		{"a dry run stores nothing", func() error {
			_, err := deploys.Apply(ctx, "dry", []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"dry"},
				"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`),
				client.ApplyOptions{FieldManager: "m", DryRun: true})
			if err != nil {
				return err
			}
			_, err = deploys.Get(ctx, "dry")
			return err
		}, apierrors.IsNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.True(t, tc.check(err), "got %v", err)
		})
	}
}

// TestGRPCWritesRecordManagedFields checks that creates, updates and patches through gRPC record
// the manager they name, that a write naming none is not tracked, and that an apply then sees the
// tracked writers' fields.
func TestGRPCWritesRecordManagedFields(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c, err := client.New(client.Config{Endpoints: cl.Endpoints(), TLS: cl.AdminTLSConfig(), UserAgent: "keelson-test/1.0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	cms := c.ConfigMaps("default")

	created, err := cms.Create(ctx, &corev1.ConfigMap{Metadata: meta("cm", nil), Data: map[string]string{"a": "1"}}, client.CreateOptions{FieldManager: "creator"})
	require.NoError(t, err)
	require.Equal(t, []string{"creator Update"}, managers(created.GetMetadata()))

	untracked := clone(created)
	untracked.Data["z"] = "0"
	untracked.GetMetadata().ManagedFields = nil
	untrackedOut, err := cms.Update(ctx, untracked)
	require.NoError(t, err)
	require.Equal(t, []string{"creator Update"}, managers(untrackedOut.GetMetadata()),
		"a gRPC update naming no manager is not tracked and keeps the managedFields it had")

	upd := clone(untrackedOut)
	upd.Data["b"] = "2"
	updated, err := cms.Update(ctx, upd, client.UpdateOptions{FieldManager: "keelson-test"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"creator Update", "keelson-test Update"}, managers(updated.GetMetadata()))

	patched, err := cms.Patch(ctx, "cm", client.MergePatch, []byte(`{"data":{"c":"3"}}`), client.PatchOptions{FieldManager: "patcher"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"creator Update", "keelson-test Update", "patcher Update"}, managers(patched.GetMetadata()))

	// A write that changes nothing records nothing.
	same, err := cms.Patch(ctx, "cm", client.MergePatch, []byte(`{"data":{"c":"3"}}`), client.PatchOptions{FieldManager: "idle"})
	require.NoError(t, err)
	require.Equal(t, patched.GetMetadata().GetResourceVersion(), same.GetMetadata().GetResourceVersion())

	// The apply sees who set what: data.b belongs to the updater.
	_, err = cms.Apply(ctx, "cm", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"b":"x"}}`),
		client.ApplyOptions{FieldManager: "applier"})
	require.True(t, apierrors.IsConflict(err), "%v", err)
	require.Contains(t, err.Error(), `conflict with "keelson-test"`)

	// REST and gRPC writes land in the same managedFields.
	code, st := restDo(t, http.MethodPatch, cl.URL(0)+"/api/v1/namespaces/default/configmaps/cm?fieldManager=rest",
		"application/merge-patch+json", `{"data":{"d":"4"}}`)
	require.Equal(t, http.StatusOK, code, st)
	got, err := cms.Get(ctx, "cm")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"creator Update", "keelson-test Update", "patcher Update", "rest Update"}, managers(got.GetMetadata()))
}

// TestGRPCScale reads and writes the scale subresource through pkg/client, as kubectl scale does
// through REST.
func TestGRPCScale(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	rs := replicaSetFixture().valid("front")
	rs.Spec.Replicas = ptr(int32(2))
	// Created tracked: as in Kubernetes, an object whose managedFields are empty tracks no update
	// until it is applied.
	_, err := c.ReplicaSets("default").Create(ctx, rs, client.CreateOptions{FieldManager: "creator"})
	require.NoError(t, err)
	_, err = c.ReplicationControllers("default").Create(ctx, rcFixture().valid("legacy"))
	require.NoError(t, err)

	sets := c.ReplicaSets("default")
	sc, err := sets.GetScale(ctx, "front")
	require.NoError(t, err)
	require.Equal(t, "front", sc.GetMetadata().GetName())
	require.Equal(t, int32(2), sc.GetSpec().GetReplicas())

	// REST serves the same Scale.
	base := cl.URL(0)
	code, rest := restDo(t, http.MethodGet, base+"/apis/apps/v1/namespaces/default/replicasets/front/scale", "", "")
	require.Equal(t, http.StatusOK, code, rest)
	require.Equal(t, sc.GetStatus().GetSelector(), rest["status"].(map[string]any)["selector"])
	require.Equal(t, sc.GetMetadata().GetResourceVersion(), rest["metadata"].(map[string]any)["resourceVersion"])

	scaled, err := sets.UpdateScale(ctx, &autoscalingv1.Scale{Metadata: meta("front", nil), Spec: &autoscalingv1.ScaleSpec{Replicas: 5}},
		client.UpdateOptions{FieldManager: "scaler"})
	require.NoError(t, err)
	require.Equal(t, int32(5), scaled.GetSpec().GetReplicas())
	got, err := sets.Get(ctx, "front")
	require.NoError(t, err)
	require.Equal(t, int32(5), got.GetSpec().GetReplicas())
	require.Contains(t, managers(got.GetMetadata()), "scaler Update", "a scale is recorded on the workload")
	require.Equal(t, scaled.GetMetadata().GetResourceVersion(), got.GetMetadata().GetResourceVersion())

	rcScale, err := c.ReplicationControllers("default").GetScale(ctx, "legacy")
	require.NoError(t, err)
	code, rest = restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/replicationcontrollers/legacy/scale", "", "")
	require.Equal(t, http.StatusOK, code, rest)
	require.Equal(t, rest["status"].(map[string]any)["selector"], rcScale.GetStatus().GetSelector())

	tests := []struct {
		name  string
		call  func() error
		check func(error) bool
	}{
		{"a stale resourceVersion conflicts", func() error {
			_, err := sets.UpdateScale(ctx, &autoscalingv1.Scale{
				Metadata: &metav1.ObjectMeta{Name: "front", ResourceVersion: sc.GetMetadata().GetResourceVersion()},
				Spec:     &autoscalingv1.ScaleSpec{Replicas: 1},
			})
			return err
		}, apierrors.IsConflict},
		{"replicas may not be negative", func() error {
			_, err := sets.UpdateScale(ctx, &autoscalingv1.Scale{Metadata: meta("front", nil), Spec: &autoscalingv1.ScaleSpec{Replicas: -1}})
			return err
		}, apierrors.IsInvalid},
		{"a missing workload is not found", func() error {
			_, err := sets.GetScale(ctx, "missing")
			return err
		}, apierrors.IsNotFound},
		{"a kind without replicas has no scale", func() error {
			_, err := c.DaemonSets("default").GetScale(ctx, "front")
			return err
		}, methodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.True(t, tc.check(err), "got %v", err)
		})
	}
	got, err = sets.Get(ctx, "front")
	require.NoError(t, err)
	require.Equal(t, int32(5), got.GetSpec().GetReplicas(), "failed scales change nothing")
}

// TestGRPCEvictPod evicts pods through pkg/client, as kubectl drain does through REST.
func TestGRPCEvictPod(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	pods := cl.Client().Pods("default")
	for _, name := range []string{"a", "b", "c"} {
		_, err := pods.Create(ctx, podFixture().valid(name))
		require.NoError(t, err)
	}
	require.NoError(t, pods.Bind(ctx, "b", "node-1"))

	tests := []struct {
		name string
		pod  string
		opts client.DeleteOptions
		// check judges the eviction's error; gone says whether the pod is then gone.
		check func(error) bool
		gone  bool
	}{
		{"a dry run keeps the pod", "a", client.DeleteOptions{DryRun: true}, noError, false},
		{"a precondition that does not hold conflicts", "a", client.DeleteOptions{PreconditionUID: "not-the-uid"}, apierrors.IsConflict, false},
		{"an unknown propagation policy is refused", "a", client.DeleteOptions{PropagationPolicy: "Sideways"}, apierrors.IsBadRequest, false},
		{"an unbound pod goes at once", "a", client.DeleteOptions{}, noError, true},
		{"a missing pod is not found", "a", client.DeleteOptions{}, apierrors.IsNotFound, true},
		{"a running pod is given its grace period", "b", client.DeleteOptions{GracePeriodSeconds: ptr(int64(30))}, noError, false},
		{"a zero grace period deletes a bound pod", "b", client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}, noError, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := pods.Evict(ctx, tc.pod, tc.opts)
			require.True(t, tc.check(err), "got %v", err)
			got, err := pods.Get(ctx, tc.pod)
			if tc.gone {
				require.True(t, apierrors.IsNotFound(err), "the pod is still there: %v", err)
				return
			}
			require.NoError(t, err)
			if tc.pod == "b" {
				require.NotNil(t, got.GetMetadata().GetDeletionTimestamp(), "the eviction marks the running pod deleted")
			}
		})
	}

	_, err := cl.Client().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("cm", nil)})
	require.NoError(t, err)
	err = cl.Client().ConfigMaps("default").Evict(ctx, "cm")
	require.True(t, methodNotAllowed(err), "only pods are evicted: %v", err)

	// REST evicts through the same registry call: the evicted pod c is gone for both.
	code, st := restDo(t, http.MethodPost, cl.URL(0)+"/api/v1/namespaces/default/pods/c/eviction", "",
		`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"c"}}`)
	require.Equal(t, http.StatusCreated, code, st)
	require.True(t, apierrors.IsNotFound(pods.Evict(ctx, "c")))
}

func noError(err error) bool { return err == nil }

func methodNotAllowed(err error) bool {
	return apierrors.ReasonFor(err) == apierrors.ReasonMethodNotAllowed
}
