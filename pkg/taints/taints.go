package taints

import (
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Taint effects.
const (
	EffectNoSchedule       = "NoSchedule"
	EffectPreferNoSchedule = "PreferNoSchedule"
	EffectNoExecute        = "NoExecute"
)

// Tolerates reports whether tol tolerates taint: the effects match (or tol names none), and the
// keys match with equal values (operator Equal, the default) or tol names no key and operator
// Exists, which tolerates every taint.
func Tolerates(tol *corev1.Toleration, taint *corev1.Taint) bool {
	if e := tol.GetEffect(); e != "" && e != taint.GetEffect() {
		return false
	}
	if k := tol.GetKey(); k != "" && k != taint.GetKey() {
		return false
	}
	switch tol.GetOperator() {
	case "Exists":
		return true
	case "", "Equal":
		return tol.GetKey() != "" && tol.GetValue() == taint.GetValue()
	default:
		return false
	}
}

// AnyTolerates reports whether one of tols tolerates taint.
func AnyTolerates(tols []*corev1.Toleration, taint *corev1.Taint) bool {
	for _, t := range tols {
		if Tolerates(t, taint) {
			return true
		}
	}
	return false
}

// FirstUntolerated returns the first taint with one of effects that tols do not tolerate, or nil.
func FirstUntolerated(taints []*corev1.Taint, tols []*corev1.Toleration, effects ...string) *corev1.Taint {
	for _, taint := range taints {
		if !hasEffect(taint, effects) {
			continue
		}
		if !AnyTolerates(tols, taint) {
			return taint
		}
	}
	return nil
}

func hasEffect(taint *corev1.Taint, effects []string) bool {
	for _, e := range effects {
		if taint.GetEffect() == e {
			return true
		}
	}
	return false
}

// Format writes taint as kubectl does: key=value:effect, or key:effect without a value.
func Format(taint *corev1.Taint) string {
	s := taint.GetKey()
	if taint.GetValue() != "" {
		s += "=" + taint.GetValue()
	}
	return s + ":" + taint.GetEffect()
}
