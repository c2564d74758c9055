package framework

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Package prefixes of Keelson's code, for CheckLeaks: what a test started must be gone once it
// has stopped. Goroutines of etcd's, gRPC's and the test's own machinery are not ours to judge.
const (
	APIServerCode         = "keelson-dev/keelson/apiserver/"
	SchedulerCode         = "keelson-dev/keelson/scheduler/"
	ControllerManagerCode = "keelson-dev/keelson/controller-manager/"
	KubeletCode           = "keelson-dev/keelson/kubelet/"
	ProxyCode             = "keelson-dev/keelson/proxy/"
	PkgCode               = "keelson-dev/keelson/pkg/"
	FrameworkCode         = "keelson-dev/keelson/test/framework."
)

// KeelsonCode is every daemon's code, the shared libraries and this framework.
var KeelsonCode = []string{APIServerCode, SchedulerCode, ControllerManagerCode, KubeletCode, ProxyCode, PkgCode, FrameworkCode}

// leakDeadline is how long goroutines get to return after their context ended.
const leakDeadline = 5 * time.Second

// CheckLeaks fails the test when, after every cleanup registered after this call has run, a
// goroutine is still running code of one of the package prefixes (such as SchedulerCode).
// Goroutines may take a moment to return after their context ends, so it polls with a deadline.
// Call it before starting anything, so that its check runs last; StartCluster calls it with
// KeelsonCode.
func CheckLeaks(tb testing.TB, prefixes ...string) {
	tb.Helper()
	tb.Cleanup(func() {
		tb.Helper()
		var leaked []string
		gone := func() bool {
			leaked = goroutinesRunning(prefixes)
			return len(leaked) == 0
		}
		if poll(leakDeadline, 20*time.Millisecond, gone, nil) != held {
			tb.Errorf("%d goroutines outlived the test:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// goroutinesRunning returns the stacks of goroutines running code of one of prefixes, other than
// this check and the test's own goroutines.
func goroutinesRunning(prefixes []string) []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "framework.goroutinesRunning") || strings.Contains(g, "testing.tRunner") {
			continue
		}
		for _, p := range prefixes {
			if strings.Contains(g, p) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
