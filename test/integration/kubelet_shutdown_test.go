package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// sigtermPod is a pod whose container writes the time (Unix seconds with nanoseconds) it got
// SIGTERM to file, then exits after lingering seconds.
func sigtermPod(name, node, file string, lingering float64) *corev1.Pod {
	p := shPod(name, node, "Always", fmt.Sprintf(
		`trap 'date +%%s.%%N > %s.tmp; mv %s.tmp %s; sleep %g; exit 0' TERM; echo ready; while true; do sleep 0.05; done`,
		file, file, file, lingering))
	grace := int64(30)
	p.Spec.TerminationGracePeriodSeconds = &grace
	return p
}

// readUnixTime reads a time written by `date +%s.%N`.
func readUnixTime(t *testing.T, file string) time.Time {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err, "the container got no SIGTERM")
	sec, nsec, ok := strings.Cut(strings.TrimSpace(string(b)), ".")
	require.True(t, ok, "time %q", b)
	s, err := strconv.ParseInt(sec, 10, 64)
	require.NoError(t, err)
	ns, err := strconv.ParseInt(nsec, 10, 64)
	require.NoError(t, err)
	return time.Unix(s, ns)
}

// TestKubeletGracefulNodeShutdown shuts down a kubelet with a 6s shutdown grace period, 3s of it
// for critical pods. The regular pod gets SIGTERM first, within the regular 3s, and the critical
// pod only after the regular one has stopped, within the whole 6s; the node turns not ready, and
// both pods end Failed with reason Terminated and a DisruptionTarget condition.
func TestKubeletGracefulNodeShutdown(t *testing.T) {
	const total, critical = 6 * time.Second, 3 * time.Second
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{
		Configure: func(cfg *kubeletserver.Config) {
			cfg.ShutdownGracePeriod, cfg.ShutdownGracePeriodCriticalPods = total, critical
		},
	})
	node := k.Server.NodeName()
	ctx := testContext(t)
	dir := t.TempDir()
	regularFile, criticalFile := filepath.Join(dir, "regular"), filepath.Join(dir, "critical")

	_, err := c.Pods("default").Create(ctx, sigtermPod("regular", node, regularFile, 0.5))
	require.NoError(t, err)
	crit := sigtermPod("critical", node, criticalFile, 0)
	crit.Spec.PriorityClassName = "system-node-critical"
	_, err = c.Pods("default").Create(ctx, crit)
	require.NoError(t, err)
	isRunning := func(p *corev1.Pod) bool { return mainStatus(p).GetState().GetRunning() != nil }
	waitPod(t, c, "regular", 30*time.Second, "Running", isRunning)
	waitPod(t, c, "critical", 30*time.Second, "Running", isRunning)
	// The traps are set once the shell has printed "ready".
	for _, name := range []string{"regular", "critical"} {
		framework.Poll(10*time.Second, 20*time.Millisecond, func() bool {
			return strings.Contains(podLog(t, cluster, name, ""), "ready")
		})
	}

	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, total+10*time.Second)
	defer cancel()
	require.NoError(t, k.Server.Shutdown(sctx))
	elapsed := time.Since(start)
	require.NoError(t, k.Wait(framework.StopTimeout))
	require.Less(t, elapsed, total+5*time.Second, "the shutdown ends within its grace period")

	regularAt, criticalAt := readUnixTime(t, regularFile), readUnixTime(t, criticalFile)
	require.Less(t, regularAt.Sub(start), total-critical, "the regular pod is stopped within the regular period")
	require.True(t, criticalAt.After(regularAt.Add(400*time.Millisecond)),
		"the critical pod gets SIGTERM only once the regular one has stopped (regular at %s, critical at %s)", regularAt, criticalAt)
	require.Less(t, criticalAt.Sub(start), total, "the critical pod is stopped within the shutdown grace period")

	for _, name := range []string{"regular", "critical"} {
		p, err := c.Pods("default").Get(ctx, name)
		require.NoError(t, err)
		st := p.GetStatus()
		require.Equal(t, "Failed", st.GetPhase(), "pod %s: %v", name, st)
		require.Equal(t, "Terminated", st.GetReason(), "pod %s", name)
		require.Equal(t, "Pod was terminated in response to imminent node shutdown.", st.GetMessage(), "pod %s", name)
		var disruption *corev1.PodCondition
		for _, cond := range st.GetConditions() {
			if cond.GetType() == "DisruptionTarget" {
				disruption = cond
			}
		}
		require.NotNil(t, disruption, "pod %s conditions: %v", name, st.GetConditions())
		require.Equal(t, "True", disruption.GetStatus())
		require.Equal(t, "TerminationByKubelet", disruption.GetReason())
		require.NotNil(t, mainStatus(p).GetState().GetTerminated(), "pod %s: the container stopped", name)
	}

	n, err := c.Nodes().Get(ctx, node)
	require.NoError(t, err)
	var ready *corev1.NodeCondition
	for _, cond := range n.GetStatus().GetConditions() {
		if cond.GetType() == "Ready" {
			ready = cond
		}
	}
	require.NotNil(t, ready)
	require.Equal(t, "False", ready.GetStatus())
	require.Equal(t, "node is shutting down", ready.GetMessage())
}
