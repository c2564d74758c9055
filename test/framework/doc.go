// Package framework starts Keelson inside a Go test, in-process and on loopback only, and tears
// everything down through t.Cleanup.
//
// StartCluster starts one etcd member and one or more apiservers on it, each reached through a
// loopback Proxy the test can cut to simulate a crashed replica, and checks at the end that no
// goroutine of Keelson's code outlived the test (CheckLeaks). Every daemon then starts one way:
// Start(tb, runner) runs anything with Run(ctx) error — a daemon's server, an informer, an
// elector — and stops it when the test ends, failing the test if it does not return in time or
// returns an error other than context cancellation. StartScheduler builds on it for
// keelson-scheduler; the other daemons' StartX follow the same shape:
//
//	cl := framework.StartCluster(t, framework.Options{})
//	sched := framework.StartScheduler(t, cl.Endpoints(), nil)
//	framework.Eventually(t, 10*time.Second, func() bool {
//		return sched.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`) == 1
//	}, "the pod bound")
package framework
