package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestKubectlWorkloadsOnMakeRun drives workloads with the real kubectl on the cluster `make run`
// starts (hack/local-up.sh, whose controller manager runs every controller and whose kubelet runs
// containers as host processes): service account tokens, from the token controller and from
// `kubectl create token`; a Deployment through create, scale, set image, rollout history
// and rollout undo; a Job to completion and its log; and a namespace with a Deployment in it
// deleted as a whole, until the namespace, its pods and their processes are gone. Then Ctrl-C
// must leave nothing behind. Every kubectl run is bounded by its --timeout and the helper's minute.
func TestKubectlWorkloadsOnMakeRun(t *testing.T) {
	lc := startLocalUp(t)
	e := lc.kubectl
	rolledOut := func(args ...string) {
		t.Helper()
		out := e.ok(append([]string{"rollout", "status", "--timeout=50s"}, args...)...)
		require.Contains(t, out, "successfully rolled out")
	}
	template := func(field string) string {
		t.Helper()
		return e.ok("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0]."+field+"}")
	}

	// Service account tokens: the token controller signs the default account's token Secret with
	// the key the apiserver verifies, and the TokenRequest API issues tokens too. Each
	// authenticates as the account, presented alone (no client certificate).
	whoami := func(token string) string {
		t.Helper()
		as := &kubectlEnv{t: t, kubectl: e.kubectl, dir: e.dir, kubeconfig: e.file("token.kubeconfig", fmt.Sprintf(
			"apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: %s\n"+
				"    certificate-authority: %s\nusers:\n- name: sa\n  user:\n    token: %s\ncontexts:\n- name: sa\n"+
				"  context:\n    cluster: local\n    user: sa\ncurrent-context: sa\n",
			e.pki.server, e.pki.CertFile(clusterpki.CAName), token))}
		return as.ok("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
	}
	var secretToken string
	framework.Eventually(t, 30*time.Second, func() bool {
		out := e.ok("get", "secrets", "-n", "default", "-o",
			`jsonpath={range .items[?(@.type=="kubernetes.io/service-account-token")]}{.data.token}{end}`)
		token, err := base64.StdEncoding.DecodeString(out)
		secretToken = string(token)
		return err == nil && secretToken != ""
	}, "the default service account's token Secret")
	require.Equal(t, "system:serviceaccount:default:default", whoami(secretToken))
	requested := strings.TrimSpace(e.ok("create", "token", "default"))
	require.Equal(t, "system:serviceaccount:default:default", whoami(requested))

	// The process runtime ignores the image and runs the command.
	e.ok("create", "deployment", "web", "--image=busybox", "--", "/bin/sh", "-c", "sleep 3600")
	rolledOut("deployment/web")
	require.Equal(t, `["/bin/sh","-c","sleep 3600"]`, template("command"))
	require.Len(t, lc.podProcs(t, "default", "app=web"), 1, "the one pod of web runs its process")

	e.ok("scale", "deployment/web", "--replicas=3")
	rolledOut("deployment/web")
	require.Equal(t, "3", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"))
	require.Len(t, lc.podProcs(t, "default", "app=web"), 3, "each pod of web runs its process")

	// A new image is a new template, so it rolls out as a new ReplicaSet even though the process
	// runtime runs the same command.
	e.ok("set", "image", "deployment/web", "busybox=busybox:1.36")
	rolledOut("deployment/web")
	require.Equal(t, "busybox:1.36", template("image"))
	require.Equal(t, "3", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.updatedReplicas}"))
	hist := e.ok("rollout", "history", "deployment/web")
	require.Contains(t, hist, "REVISION", hist)
	rows := tableRows(hist[strings.Index(hist, "REVISION"):])
	require.Len(t, rows, 2, "rollout history:\n%s", hist)
	require.Equal(t, "1", rows[0][0])
	require.Equal(t, "2", rows[1][0])

	require.Contains(t, e.ok("rollout", "undo", "deployment/web"), "rolled back")
	rolledOut("deployment/web")
	require.Equal(t, "busybox", template("image"))
	require.Equal(t, "3", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.updatedReplicas}"))
	require.Len(t, lc.podProcs(t, "default", "app=web"), 3, "each pod of web runs its process after the undo")

	e.ok("create", "job", "once", "--image=busybox", "--", "/bin/sh", "-c", "echo done")
	require.Contains(t, e.ok("wait", "--for=condition=complete", "job/once", "--timeout=50s"), "condition met")
	require.Equal(t, "1", e.ok("get", "job", "once", "-o", "jsonpath={.status.succeeded}"))
	require.Equal(t, "done\n", e.ok("logs", "job/once"))

	// Deleting a namespace deletes what is in it: the Deployment, its ReplicaSet, its pods, and
	// so the pods' processes.
	e.ok("create", "namespace", "scratch")
	e.ok("create", "deployment", "app", "-n", "scratch", "--image=busybox", "--replicas=2", "--", "/bin/sh", "-c", "sleep 3600")
	rolledOut("deployment/app", "-n", "scratch")
	pods := lc.podProcs(t, "scratch", "app=app")
	require.Len(t, pods, 2, "each pod of app runs its process")
	var procs []int
	for _, pids := range pods {
		procs = append(procs, pids...)
	}
	e.ok("delete", "namespace", "scratch", "--timeout=50s")
	framework.Eventually(t, 30*time.Second, func() bool {
		r := e.run(nil, "get", "namespace", "scratch")
		return r.code != 0 && strings.Contains(r.stderr, "NotFound")
	}, "namespace scratch gone")
	framework.Eventually(t, 30*time.Second, func() bool {
		return e.ok("get", "pods", "-A", "-l", "app=app", "-o", "name") == "" && len(alive(procs)) == 0
	}, "the pods of namespace scratch and their processes gone")

	lc.stop(t)
}

// podProcs returns, by pod UID, the processes of the Running pods in namespace that selector
// selects and that are not being deleted, found in each pod's cgroup; it fails the test if such a
// pod has none.
func (lc *localUp) podProcs(t *testing.T, namespace, selector string) map[string][]int {
	t.Helper()
	out := lc.kubectl.ok("get", "pods", "-n", namespace, "-l", selector, "--field-selector=status.phase=Running", "-o",
		`jsonpath={range .items[*]}{.metadata.uid} {.metadata.deletionTimestamp}{"\n"}{end}`)
	pods := map[string][]int{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 1 {
			continue // none, or being deleted
		}
		var pids []int
		for _, qos := range []string{"", "/besteffort", "/burstable"} {
			pids = append(pids, cgroupProcs(lc.cgroupRoot+"/kubepods"+qos+"/pod"+f[0])...)
		}
		require.NotEmpty(t, alive(pids), "pod %s runs a process in its cgroup", f[0])
		pods[f[0]] = alive(pids)
	}
	return pods
}
