package deployment

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// The strategy types.
const (
	RecreateStrategy      = "Recreate"
	RollingUpdateStrategy = "RollingUpdate"
)

// intOrStringString is the type of an IntOrString holding a string.
const intOrStringString = 1

// defaultBound is maxSurge and maxUnavailable when unset, as the API defaults them.
var defaultBound = &metav1.IntOrString{Type: intOrStringString, StrVal: "25%"}

// scaledValue resolves v against total: an integer as it is, a percentage of total rounded up or
// down. A nil v is the API's default of 25%.
func scaledValue(v *metav1.IntOrString, total int, roundUp bool) (int, error) {
	if v == nil {
		v = defaultBound
	}
	if v.GetType() != intOrStringString {
		return int(v.GetIntVal()), nil
	}
	s, ok := strings.CutSuffix(v.GetStrVal(), "%")
	if !ok {
		return 0, fmt.Errorf("invalid value %q: not an integer or a percentage", v.GetStrVal())
	}
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q: %w", v.GetStrVal(), err)
	}
	x := float64(p) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(x)), nil
	}
	return int(math.Floor(x)), nil
}

// isRolling reports whether d rolls out by RollingUpdate (the default strategy).
func isRolling(d *appsv1.Deployment) bool {
	t := d.GetSpec().GetStrategy().GetType()
	return t == "" || t == RollingUpdateStrategy
}

// replicas returns the replicas d asks for; unset is one, as the API defaults it.
func replicas(d *appsv1.Deployment) int32 {
	if r := d.GetSpec().Replicas; r != nil {
		return *r
	}
	return 1
}

// fenceposts returns how many pods a rolling update of d may run above its replicas (maxSurge,
// rounded up) and below them (maxUnavailable, rounded down). When both resolve to zero,
// maxUnavailable is one, or the rollout could never start.
func fenceposts(d *appsv1.Deployment) (surge, unavailable int32, err error) {
	ru := d.GetSpec().GetStrategy().GetRollingUpdate()
	n := int(replicas(d))
	s, err := scaledValue(ru.GetMaxSurge(), n, true)
	if err != nil {
		return 0, 0, fmt.Errorf("spec.strategy.rollingUpdate.maxSurge: %w", err)
	}
	u, err := scaledValue(ru.GetMaxUnavailable(), n, false)
	if err != nil {
		return 0, 0, fmt.Errorf("spec.strategy.rollingUpdate.maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// maxSurge returns how many pods above its replicas d may run: zero unless it rolls.
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	s, _, err := fenceposts(d)
	if err != nil {
		return 0
	}
	return s
}

// maxUnavailable returns how many of its replicas d may have unavailable, at most its replicas.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRolling(d) || replicas(d) == 0 {
		return 0
	}
	_, u, err := fenceposts(d)
	if err != nil {
		return 0
	}
	return min(u, replicas(d))
}
