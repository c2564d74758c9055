package framework

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// ownCode marks goroutines that run Keelson's own code: what a cluster started must be gone once
// it has stopped. Goroutines of etcd's and gRPC's shared machinery are not ours to judge.
var ownCode = []string{
	"keelson-dev/keelson/apiserver/",
	"keelson-dev/keelson/pkg/",
	"keelson-dev/keelson/test/framework.",
}

// checkLeaks fails the test when, after every cleanup registered after this call has run, a
// goroutine is still running Keelson code. Goroutines may take a moment to return after their
// context ends, so it polls with a deadline.
func checkLeaks(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked := ownGoroutines()
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				tb.Errorf("%d goroutines outlived the cluster:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			<-time.After(20 * time.Millisecond) // polling with a deadline
		}
	})
}

// ownGoroutines returns the stacks of goroutines running Keelson code, other than this check.
func ownGoroutines() []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "framework.ownGoroutines") || strings.Contains(g, "testing.tRunner") {
			continue
		}
		for _, own := range ownCode {
			if strings.Contains(g, own) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
