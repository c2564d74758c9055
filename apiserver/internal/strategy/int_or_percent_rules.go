package strategy

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation/field"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var percentRE = regexp.MustCompile(`^[0-9]+%$`)

// intOrPercentValue returns v's value and whether it is a percentage; ok is false when v is a string
// that is not a percentage.
func intOrPercentValue(v *metav1.IntOrString) (n int, percent, ok bool) {
	if v.GetType() != intOrStringString {
		return int(v.GetIntVal()), false, true
	}
	if !percentRE.MatchString(v.GetStrVal()) {
		return 0, true, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.GetStrVal(), "%"))
	return n, true, err == nil
}

// validateIntOrPercent checks a rolling update bound: a non-negative integer or a percentage,
// at most 100% when max100 is set.
func validateIntOrPercent(v *metav1.IntOrString, p *field.Path, max100 bool) field.ErrorList {
	if v == nil {
		return nil
	}
	n, percent, ok := intOrPercentValue(v)
	switch {
	case !ok:
		return field.ErrorList{field.Invalid(p, v.GetStrVal(),
			"a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")}
	case !percent && n < 0:
		return field.ErrorList{field.Invalid(p, n, msgNonNegative)}
	case percent && max100 && n > 100:
		return field.ErrorList{field.Invalid(p, v.GetStrVal(), "must not be greater than 100%")}
	}
	return nil
}

// intOrPercentZero reports whether v is 0 or 0%. A nil v is zero.
func intOrPercentZero(v *metav1.IntOrString) bool {
	n, _, ok := intOrPercentValue(v)
	return ok && n == 0
}

// validateSurgeAndUnavailable checks a rolling update's maxUnavailable and maxSurge together.
func validateSurgeAndUnavailable(maxUnavailable, maxSurge *metav1.IntOrString, p *field.Path) field.ErrorList {
	errs := validateIntOrPercent(maxUnavailable, p.Child("maxUnavailable"), true)
	errs = append(errs, validateIntOrPercent(maxSurge, p.Child("maxSurge"), false)...)
	if len(errs) == 0 && intOrPercentZero(maxUnavailable) && intOrPercentZero(maxSurge) {
		errs = append(errs, field.Invalid(p.Child("maxUnavailable"), intOrStringText(maxUnavailable), "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

func intOrStringText(v *metav1.IntOrString) string {
	if v.GetType() == intOrStringString {
		return v.GetStrVal()
	}
	return strconv.Itoa(int(v.GetIntVal()))
}
