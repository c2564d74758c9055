package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// zoneNodes returns ready healthy nodes and down unknown nodes in zone z.
func zoneNodes(z string, healthy, down int) []scheme.Object {
	var out []scheme.Object
	for i := range healthy {
		out = append(out, node(fmt.Sprintf("%s-up-%d", z, i), statusTrue, inZone(z)))
	}
	for i := range down {
		out = append(out, node(fmt.Sprintf("%s-down-%d", z, i), statusUnknown, inZone(z)))
	}
	return out
}

// TestEvictionRateLimit counts the nodes tainted NoExecute after each pass, the clock stepped
// between passes. The grace period is long so that only the nodes posted Unknown are down.
func TestEvictionRateLimit(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		objs  []scheme.Object
		steps []time.Duration
		// want is the count of NoExecute-tainted nodes after the first pass and after each step.
		want []int
	}{{
		name:  "a healthy zone taints at the primary rate",
		objs:  zoneNodes("a", 7, 3),
		steps: []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, time.Minute},
		want:  []int{1, 1, 2, 2, 3, 3},
	}, {
		name:  "a small partially disrupted zone taints nothing",
		objs:  zoneNodes("a", 4, 6),
		steps: []time.Duration{time.Minute, time.Hour},
		want:  []int{0, 0, 0},
	}, {
		name:  "a large partially disrupted zone taints at the secondary rate",
		opts:  Options{LargeClusterThreshold: 5},
		objs:  zoneNodes("a", 4, 6),
		steps: []time.Duration{50 * time.Second, 50 * time.Second, 100 * time.Second},
		want:  []int{1, 1, 2, 3},
	}, {
		name:  "full disruption everywhere taints nothing",
		objs:  append(zoneNodes("a", 0, 2), zoneNodes("b", 0, 2)...),
		steps: []time.Duration{time.Hour},
		want:  []int{0, 0},
	}, {
		name: "full disruption everywhere removes the eviction taints",
		objs: []scheme.Object{
			node("a", statusUnknown, withTaint(TaintUnreachable, "NoExecute", epoch)),
			node("b", statusUnknown, withTaint(TaintUnreachable, "NoExecute", epoch)),
		},
		want: []int{0},
	}, {
		name:  "a fully disrupted zone beside a healthy one taints at the primary rate",
		objs:  append(zoneNodes("a", 0, 3), zoneNodes("b", 2, 0)...),
		steps: []time.Duration{10 * time.Second, 10 * time.Second},
		want:  []int{1, 2, 3},
	}, {
		name:  "zones have their own buckets",
		objs:  append(zoneNodes("a", 5, 2), zoneNodes("b", 5, 2)...),
		steps: []time.Duration{10 * time.Second},
		want:  []int{2, 4},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.GracePeriod = 24 * time.Hour
			fx := start(t, opts, tt.objs...)
			fx.pass()
			got := []int{fx.noExecuteTainted()}
			for _, d := range tt.steps {
				fx.clk.Step(d)
				fx.pass()
				got = append(got, fx.noExecuteTainted())
			}
			require.Equal(t, tt.want, got)
			// Every down node has its NoSchedule taint whatever the rate.
			for _, o := range tt.objs {
				n := fx.node(o.GetMetadata().GetName())
				if readyStatus(n) == statusUnknown {
					require.Contains(t, fx.taintsOf(n.GetMetadata().GetName()), TaintUnreachable+":NoSchedule")
				}
			}
		})
	}
}

func TestZoneState(t *testing.T) {
	tests := []struct {
		ready, notReady int
		want            zoneState
	}{
		{ready: 3, notReady: 0, want: zoneNormal},
		{ready: 1, notReady: 2, want: zoneNormal},
		{ready: 2, notReady: 3, want: zonePartialDisruption},
		{ready: 3, notReady: 3, want: zoneNormal},
		{ready: 0, notReady: 1, want: zoneFullDisruption},
		{ready: 0, notReady: 0, want: zoneNormal},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d ready %d not", tt.ready, tt.notReady), func(t *testing.T) {
			z := &zoneCount{ready: tt.ready, notReady: tt.notReady, size: tt.ready + tt.notReady}
			require.Equal(t, tt.want, z.state(0.55))
		})
	}
}
