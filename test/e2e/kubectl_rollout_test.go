package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const rolloutManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
spec:
  replicas: 2
  selector:
    matchLabels: {app: roll}
  template:
    metadata:
      labels: {app: roll}
    spec:
      containers:
      - name: c
        image: busybox
`

// TestKubectlRolloutStatus drives `kubectl rollout status` against bin/keelson-apiserver. There is
// no deployment controller yet, so the test plays its part: it writes, through the status
// subresource, the status a deployment controller writes as a rollout progresses. rollout status
// must keep waiting while the status lags the spec, end with success once the status says the
// rollout is done, and wait again after a spec change bumps metadata.generation until
// status.observedGeneration catches up. Every kubectl run is bounded by --timeout.
func TestKubectlRolloutStatus(t *testing.T) {
	e := startKubectlEnv(t)
	e.ok("create", "-f", e.file("roll.yaml", rolloutManifest))
	require.Equal(t, "1", e.ok("get", "deploy", "roll", "-o", "jsonpath={.metadata.generation}"))

	t.Run("waits while the status is stale, then succeeds", func(t *testing.T) {
		bg := e.start("rollout", "status", "deployment/roll", "--timeout=90s")
		// Nothing observed the spec yet: observedGeneration 0 < generation 1.
		bg.waitFor(t, "Waiting for deployment spec update to be observed...")
		require.True(t, bg.running())

		// The controller observed the spec but updated no replica yet.
		writeDeploymentStatus(t, e, 1, 0, 0)
		bg.waitFor(t, `Waiting for deployment "roll" rollout to finish: 0 out of 2 new replicas have been updated...`)
		writeDeploymentStatus(t, e, 1, 2, 1)
		bg.waitFor(t, `Waiting for deployment "roll" rollout to finish: 1 of 2 updated replicas are available...`)
		require.True(t, bg.running())

		writeDeploymentStatus(t, e, 1, 2, 2)
		require.Equal(t, `deployment "roll" successfully rolled out`, bg.waitFor(t, "successfully rolled out"))
		r := bg.wait(t)
		require.Equal(t, 0, r.code, r.stderr)
		// Writing the status does not bump the generation.
		require.Equal(t, "1", e.ok("get", "deploy", "roll", "-o", "jsonpath={.metadata.generation}"))
		require.Equal(t, "deployment \"roll\" successfully rolled out\n", e.ok("rollout", "status", "deployment/roll", "--timeout=30s"))
	})

	t.Run("a spec change bumps generation and rollout status waits again", func(t *testing.T) {
		require.Equal(t, "deployment.apps/roll scaled\n", e.ok("scale", "deploy", "roll", "--replicas=3"))
		require.Equal(t, "2", e.ok("get", "deploy", "roll", "-o", "jsonpath={.metadata.generation}"))
		// Labels are not spec: no bump.
		e.ok("label", "deploy", "roll", "tier=be")
		require.Equal(t, "2", e.ok("get", "deploy", "roll", "-o", "jsonpath={.metadata.generation}"))

		// Bounded: with nobody writing the status, rollout status gives up after its timeout.
		r := e.run(nil, "rollout", "status", "deployment/roll", "--timeout=2s")
		require.Equal(t, 1, r.code, r.stdout)
		require.Contains(t, r.stdout, "Waiting for deployment spec update to be observed...")
		require.Contains(t, r.stderr, "timed out waiting for the condition")

		bg := e.start("rollout", "status", "deployment/roll", "--timeout=90s")
		bg.waitFor(t, "Waiting for deployment spec update to be observed...")
		// The old status, even complete, is for generation 1.
		writeDeploymentStatus(t, e, 1, 3, 3)
		require.True(t, bg.running())
		writeDeploymentStatus(t, e, 2, 3, 3)
		bg.waitFor(t, `deployment "roll" successfully rolled out`)
		r = bg.wait(t)
		require.Equal(t, 0, r.code, r.stderr)
	})
}

// writeDeploymentStatus writes the status a deployment controller would write for deployment roll
// through the status subresource: it observed generation gen, updated replicas are new, available of
// them are ready and available, and no old replicas are left.
func writeDeploymentStatus(t *testing.T, e *kubectlEnv, gen, updated, available int) {
	t.Helper()
	availableCond := `{"type":"Available","status":"False","reason":"MinimumReplicasUnavailable","message":"Deployment does not have minimum availability."}`
	if available == updated && updated > 0 {
		availableCond = `{"type":"Available","status":"True","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability."}`
	}
	now := time.Now().UTC().Format(time.RFC3339)
	patch := fmt.Sprintf(`{"status":{"observedGeneration":%d,"replicas":%d,"updatedReplicas":%d,"readyReplicas":%d,"availableReplicas":%d,`+
		`"unavailableReplicas":%d,"conditions":[%s,{"type":"Progressing","status":"True","reason":"ReplicaSetUpdated",`+
		`"message":"ReplicaSet \"roll-1\" is progressing.","lastUpdateTime":%q,"lastTransitionTime":%q}]}}`,
		gen, updated, updated, available, available, updated-available, availableCond, now, now)
	require.Equal(t, "deployment.apps/roll patched\n", e.ok("patch", "deploy", "roll", "--subresource=status", "--type=merge", "-p", patch))
}
