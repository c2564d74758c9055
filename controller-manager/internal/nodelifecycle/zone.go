package nodelifecycle

import (
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// ZoneLabel names a node's zone.
const ZoneLabel = "topology.kubernetes.io/zone"

// zoneState is a zone's health as Kubernetes grades it.
type zoneState int

const (
	zoneNormal zoneState = iota
	// zonePartialDisruption: at least three nodes, and UnhealthyZoneThreshold of them, not ready.
	zonePartialDisruption
	// zoneFullDisruption: nodes that posted a Ready condition, none of them ready.
	zoneFullDisruption
)

func (s zoneState) String() string {
	return [...]string{"Normal", "PartialDisruption", "FullDisruption"}[s]
}

// zoneCount counts a zone's nodes by readiness; nodes that never posted Ready count in neither.
type zoneCount struct{ ready, notReady, size int }

// zoneOf returns node's zone ("" without the label).
func zoneOf(node *corev1.Node) string { return node.GetMetadata().GetLabels()[ZoneLabel] }

// countZones counts nodes per zone.
func countZones(nodes []*corev1.Node) map[string]*zoneCount {
	out := map[string]*zoneCount{}
	for _, n := range nodes {
		z := out[zoneOf(n)]
		if z == nil {
			z = &zoneCount{}
			out[zoneOf(n)] = z
		}
		z.size++
		switch readyStatus(n) {
		case "":
		case statusTrue:
			z.ready++
		default:
			z.notReady++
		}
	}
	return out
}

// state grades the zone with threshold as the share of not-ready nodes that disrupts it.
func (z *zoneCount) state(threshold float64) zoneState {
	switch {
	case z.ready == 0 && z.notReady > 0:
		return zoneFullDisruption
	case z.notReady > 2 && float64(z.notReady)/float64(z.ready+z.notReady) >= threshold:
		return zonePartialDisruption
	default:
		return zoneNormal
	}
}

// rate returns how many nodes per second a zone in state s may taint for eviction.
func (c *Controller) rate(s zoneState, size int) float64 {
	switch s {
	case zonePartialDisruption:
		// A small zone that is mostly down is more likely cut off than broken: it evicts nothing.
		if size > c.opts.LargeClusterThreshold {
			return max(c.opts.SecondaryEvictionRate, 0)
		}
		return 0
	default:
		// A fully disrupted zone, while others are up, is evicted at the normal rate.
		return max(c.opts.EvictionRate, 0)
	}
}

// tokenBucket lets through qps takes a second with a burst of one, on the controller's clock.
// It starts full. The monitor pass owns it.
type tokenBucket struct {
	qps    float64
	tokens float64
	last   time.Time
}

func newTokenBucket(qps float64, now time.Time) *tokenBucket {
	return &tokenBucket{qps: qps, tokens: 1, last: now}
}

// setRate refills the bucket at its old rate up to now, then changes the rate.
func (b *tokenBucket) setRate(qps float64, now time.Time) {
	b.refill(now)
	b.qps = qps
}

func (b *tokenBucket) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(1, b.tokens+d.Seconds()*b.qps)
		b.last = now
	}
}

// take takes a token if one is there.
func (b *tokenBucket) take(now time.Time) bool {
	b.refill(now)
	if b.qps <= 0 || b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
