package integration

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// shPod is a pod bound to node whose one container "main" runs script with /bin/sh.
func shPod(name, node, restartPolicy, script string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &corev1.PodSpec{
			NodeName: node, RestartPolicy: restartPolicy,
			Containers: []*corev1.Container{{Name: "main", Image: "sh", Command: []string{"/bin/sh", "-c", script}}},
		},
	}
}

// waitPod polls the pod until cond holds, failing with its last status after timeout.
func waitPod(t *testing.T, c *client.Client, name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	var err error
	if !framework.Poll(timeout, 50*time.Millisecond, func() bool {
		p, err = c.Pods("default").Get(context.Background(), name)
		return err == nil && cond(p)
	}) {
		t.Fatalf("pod %s: not %s after %s; last: %v (get error: %v)", name, what, timeout, p.GetStatus(), err)
	}
	return p
}

func mainStatus(p *corev1.Pod) *corev1.ContainerStatus {
	for _, s := range p.GetStatus().GetContainerStatuses() {
		if s.GetName() == "main" {
			return s
		}
	}
	return nil
}

func podLog(t *testing.T, cluster *framework.Cluster, name, query string) string {
	t.Helper()
	hc := cluster.HTTPClient()
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(cluster.URL(0) + "/api/v1/namespaces/default/pods/" + name + "/log?" + query)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

// TestKubeletRunsAPodToCompletion runs a real process to success: the pod goes Pending, Running,
// Succeeded, its container ends Completed with exit code 0, and `kubectl logs`' request through the
// apiserver reads what it printed.
func TestKubeletRunsAPodToCompletion(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{})
	node := k.Server.NodeName()
	ctx := testContext(t)

	gate := filepath.Join(t.TempDir(), "go")
	_, err := c.Pods("default").Create(ctx, shPod("once", node, "Never",
		fmt.Sprintf("echo hello from keelson; while [ ! -f %s ]; do sleep 0.05; done; echo bye", gate)))
	require.NoError(t, err)
	running := waitPod(t, c, "once", 30*time.Second, "Running", func(p *corev1.Pod) bool {
		return p.GetStatus().GetPhase() == "Running" && mainStatus(p).GetState().GetRunning() != nil
	})
	require.Equal(t, node, running.GetSpec().GetNodeName())
	require.Equal(t, k.Config.NodeIP, running.GetStatus().GetPodIp(), "host network: the pod IP is the node IP")
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	done := waitPod(t, c, "once", 30*time.Second, "Succeeded", func(p *corev1.Pod) bool { return p.GetStatus().GetPhase() == "Succeeded" })
	term := mainStatus(done).GetState().GetTerminated()
	require.NotNil(t, term)
	require.Equal(t, int32(0), term.GetExitCode())
	require.Equal(t, "Completed", term.GetReason())
	require.Equal(t, "hello from keelson\nbye\n", podLog(t, cluster, "once", ""))
}

// TestKubeletRestartPolicies ends a container with an exit code under each restart policy and
// checks the pod's phase and the container's restarts.
func TestKubeletRestartPolicies(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	node := framework.StartKubelet(t, cluster, framework.KubeletOptions{}).Server.NodeName()
	ctx := testContext(t)
	tests := []struct {
		name, policy string
		exit         int
		check        func(*corev1.Pod) bool
	}{
		{"never-fails", "Never", 3, func(p *corev1.Pod) bool {
			return p.GetStatus().GetPhase() == "Failed" && mainStatus(p).GetState().GetTerminated().GetExitCode() == 3 &&
				mainStatus(p).GetState().GetTerminated().GetReason() == "Error" && mainStatus(p).GetRestartCount() == 0
		}},
		{"onfailure-restarts", "OnFailure", 3, func(p *corev1.Pod) bool {
			return mainStatus(p).GetRestartCount() >= 1 && mainStatus(p).GetLastState().GetTerminated().GetExitCode() == 3
		}},
		{"onfailure-completes", "OnFailure", 0, func(p *corev1.Pod) bool {
			return p.GetStatus().GetPhase() == "Succeeded" && mainStatus(p).GetRestartCount() == 0
		}},
		{"always-restarts", "Always", 0, func(p *corev1.Pod) bool {
			return p.GetStatus().GetPhase() == "Running" && mainStatus(p).GetRestartCount() >= 1 &&
				mainStatus(p).GetLastState().GetTerminated().GetReason() == "Completed"
		}},
	}
	for _, tt := range tests {
		_, err := c.Pods("default").Create(ctx, shPod(tt.name, node, tt.policy, fmt.Sprintf("echo run; exit %d", tt.exit)))
		require.NoError(t, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waitPod(t, c, tt.name, 45*time.Second, tt.policy+" after exit "+fmt.Sprint(tt.exit), tt.check)
		})
	}
	// The previous run's log is still readable after a restart.
	require.Equal(t, "run\n", podLog(t, cluster, "onfailure-restarts", "previous=true"))
}

// TestKubeletGracePeriod deletes pods whose processes trap SIGTERM: one finishes its cleanup within
// the grace period and is never killed; one ignores SIGTERM and is killed only after the grace
// period. Either way the pod leaves the API once its containers stopped.
func TestKubeletGracePeriod(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	node := framework.StartKubelet(t, cluster, framework.KubeletOptions{}).Server.NodeName()
	ctx := testContext(t)
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace")

	_, err := c.Pods("default").Create(ctx, shPod("graceful", node, "Always", fmt.Sprintf(
		`trap 'echo got TERM >> %[1]s; sleep 1; echo cleaned up >> %[1]s; exit 0' TERM; echo started >> %[1]s; while true; do sleep 0.05; done`, trace)))
	require.NoError(t, err)
	stubborn := shPod("stubborn", node, "Always", `trap '' TERM; while true; do sleep 0.05; done`)
	_, err = c.Pods("default").Create(ctx, stubborn)
	require.NoError(t, err)
	for _, name := range []string{"graceful", "stubborn"} {
		waitPod(t, c, name, 30*time.Second, "Running", func(p *corev1.Pod) bool { return mainStatus(p).GetState().GetRunning() != nil })
	}
	framework.Eventually(t, 10*time.Second, func() bool { b, _ := os.ReadFile(trace); return strings.Contains(string(b), "started") }, "trap installed")

	grace := int64(5)
	require.NoError(t, c.Pods("default").Delete(ctx, "graceful", client.DeleteOptions{GracePeriodSeconds: &grace}))
	gone := func(name string) func() bool {
		return func() bool { _, err := c.Pods("default").Get(context.Background(), name); return err != nil }
	}
	framework.Eventually(t, 20*time.Second, gone("graceful"), "graceful pod removed")
	b, err := os.ReadFile(trace)
	require.NoError(t, err)
	require.Equal(t, "started\ngot TERM\ncleaned up\n", string(b), "SIGTERM first, and no SIGKILL before the process finished")

	grace = 2
	start := time.Now()
	require.NoError(t, c.Pods("default").Delete(ctx, "stubborn", client.DeleteOptions{GracePeriodSeconds: &grace}))
	framework.Eventually(t, 20*time.Second, gone("stubborn"), "stubborn pod removed")
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "a process that ignores SIGTERM is killed only after the grace period")
}

// TestKubeletMemoryLimitAndOOMKill puts a memory limit in the container's cgroup and ends a
// process that goes over it as OOMKilled.
func TestKubeletMemoryLimitAndOOMKill(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{})
	ctx := testContext(t)
	const limit = 32 << 20
	gate := filepath.Join(t.TempDir(), "go")
	// tail keeps a line without a newline in memory: 256 MiB of zeros is one such line.
	pod := shPod("hog", k.Server.NodeName(), "Never", fmt.Sprintf(
		"while [ ! -f %s ]; do sleep 0.05; done; head -c 268435456 /dev/zero | tail", gate))
	pod.Spec.Containers[0].Resources = &corev1.ResourceRequirements{Limits: map[string]string{"memory": "32Mi"}}
	created, err := c.Pods("default").Create(ctx, pod)
	require.NoError(t, err)
	waitPod(t, c, "hog", 30*time.Second, "Running", func(p *corev1.Pod) bool { return mainStatus(p).GetState().GetRunning() != nil })

	// The container's cgroup (<root>/kubepods/burstable/pod<uid>/<container>) carries the limit.
	var found bool
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/memory", k.Config.CgroupRoot, "kubepods", "burstable",
		"pod"+created.GetMetadata().GetUid(), "*", "memory.limit_in_bytes"))
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		found = found || strings.TrimSpace(string(b)) == fmt.Sprint(limit)
	}
	require.True(t, found, "memory.limit_in_bytes = %d in a container cgroup of the pod (found %v)", limit, dirs)

	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	done := waitPod(t, c, "hog", 30*time.Second, "Failed", func(p *corev1.Pod) bool { return p.GetStatus().GetPhase() == "Failed" })
	require.Equal(t, "OOMKilled", mainStatus(done).GetState().GetTerminated().GetReason())
}

// TestKubeletFollowsLogs streams a running container's log through the apiserver, as
// `kubectl logs -f` does, and sees lines written after the stream began.
func TestKubeletFollowsLogs(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	node := framework.StartKubelet(t, cluster, framework.KubeletOptions{}).Server.NodeName()
	ctx := testContext(t)
	gate := filepath.Join(t.TempDir(), "go")
	_, err := c.Pods("default").Create(ctx, shPod("talker", node, "Never",
		fmt.Sprintf("echo first; while [ ! -f %s ]; do sleep 0.05; done; echo second; echo third", gate)))
	require.NoError(t, err)
	waitPod(t, c, "talker", 30*time.Second, "Running", func(p *corev1.Pod) bool { return mainStatus(p).GetState().GetRunning() != nil })

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cluster.URL(0)+"/api/v1/namespaces/default/pods/talker/log?follow=true", nil)
	require.NoError(t, err)
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	lines := bufio.NewScanner(resp.Body)
	require.True(t, lines.Scan())
	require.Equal(t, "first", lines.Text())
	require.NoError(t, os.WriteFile(gate, nil, 0o644)) // only now does the container write more
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	require.Equal(t, []string{"second", "third"}, rest, "the stream carries new lines and ends when the container does")
}

// TestKubeletRestartKeepsContainers restarts the kubelet while its pods run: the running container
// is adopted (same container ID, start time and restart count), and one that exited while the
// kubelet was down is reported with its exit code.
func TestKubeletRestartKeepsContainers(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{})
	node := k.Server.NodeName()
	ctx := testContext(t)
	stop := filepath.Join(t.TempDir(), "stop")

	_, err := c.Pods("default").Create(ctx, shPod("steady", node, "Always", "while true; do sleep 0.1; done"))
	require.NoError(t, err)
	_, err = c.Pods("default").Create(ctx, shPod("leaver", node, "Never",
		fmt.Sprintf("while [ ! -f %s ]; do sleep 0.05; done; exit 7", stop)))
	require.NoError(t, err)
	isRunning := func(p *corev1.Pod) bool { return mainStatus(p).GetState().GetRunning() != nil }
	before := waitPod(t, c, "steady", 30*time.Second, "Running", isRunning)
	waitPod(t, c, "leaver", 30*time.Second, "Running", isRunning)

	require.NoError(t, k.Stop())
	require.NoError(t, os.WriteFile(stop, nil, 0o644)) // leaver exits while no kubelet watches
	cfg := k.Config
	framework.StartKubelet(t, cluster, framework.KubeletOptions{
		NodeName: node, NodeIP: cfg.NodeIP,
		Configure: func(c *kubeletserver.Config) { *c = cfg },
	})

	left := waitPod(t, c, "leaver", 30*time.Second, "Failed with exit code 7", func(p *corev1.Pod) bool {
		return p.GetStatus().GetPhase() == "Failed" && mainStatus(p).GetState().GetTerminated().GetExitCode() == 7
	})
	require.Equal(t, int32(0), mainStatus(left).GetRestartCount())
	after := waitPod(t, c, "steady", 30*time.Second, "Running", isRunning)
	require.Equal(t, mainStatus(before).GetContainerId(), mainStatus(after).GetContainerId(), "the same container, adopted")
	require.Equal(t, int32(0), mainStatus(after).GetRestartCount())
	require.True(t, mainStatus(before).GetState().GetRunning().GetStartedAt().AsTime().Equal(
		mainStatus(after).GetState().GetRunning().GetStartedAt().AsTime()), "not started again")
}
