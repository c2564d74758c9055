package strategy

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

// The rules in this file are the small field checks many kinds share, with Kubernetes' wording.

const (
	msgNonNegative = "must be greater than or equal to 0"
	msgImmutable   = "field is immutable"
)

func nonNegative(p *field.Path, v int64) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, v, msgNonNegative)}
	}
	return nil
}

func nonNegativePtr32(p *field.Path, v *int32) field.ErrorList {
	if v == nil {
		return nil
	}
	return nonNegative(p, int64(*v))
}

func nonNegativePtr64(p *field.Path, v *int64) field.ErrorList {
	if v == nil {
		return nil
	}
	return nonNegative(p, *v)
}

// inRange checks lo <= v <= hi with Kubernetes' InclusiveRangeError wording.
func inRange(p *field.Path, v, lo, hi int64) field.ErrorList {
	if v < lo || v > hi {
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be between %d and %d, inclusive", lo, hi))}
	}
	return nil
}

// oneOf checks that v is one of allowed; required says whether "" is an error of its own.
func oneOf(p *field.Path, v string, required bool, allowed ...string) field.ErrorList {
	if v == "" {
		if required {
			return field.ErrorList{field.Required(p, "")}
		}
		return nil
	}
	if !slices.Contains(allowed, v) {
		return field.ErrorList{field.NotSupported(p, v, allowed)}
	}
	return nil
}

func optionalOneOf(p *field.Path, v *string, allowed ...string) field.ErrorList {
	if v == nil {
		return nil
	}
	if !slices.Contains(allowed, *v) {
		return field.ErrorList{field.NotSupported(p, *v, allowed)}
	}
	return nil
}

// check turns the messages of one of pkg/validation's Is* functions into Invalid errors.
func check(p *field.Path, v string, msgs []string) field.ErrorList {
	errs := make(field.ErrorList, 0, len(msgs))
	for _, m := range msgs {
		errs = append(errs, field.Invalid(p, v, m))
	}
	return errs
}

func dns1123Label(p *field.Path, v string) field.ErrorList {
	return check(p, v, validation.IsDNS1123Label(v))
}

func dns1123Subdomain(p *field.Path, v string) field.ErrorList {
	return check(p, v, validation.IsDNS1123Subdomain(v))
}

func qualifiedName(p *field.Path, v string) field.ErrorList {
	return check(p, v, validation.IsQualifiedName(v))
}

func ipAddress(p *field.Path, v string) field.ErrorList {
	return check(p, v, validation.IsValidIP(v))
}

func cidr(p *field.Path, v string) field.ErrorList {
	return check(p, v, validation.IsCIDR(v))
}

// portNumber checks a port that must be set (1-65535).
func portNumber(p *field.Path, port int32) field.ErrorList {
	var errs field.ErrorList
	for _, m := range validation.IsValidPortNum(int(port)) {
		errs = append(errs, field.Invalid(p, port, m))
	}
	return errs
}

// portName checks an IANA_SVC_NAME port name.
func portName(p *field.Path, name string) field.ErrorList {
	return check(p, name, validation.IsValidPortName(name))
}

// idRange checks a user or group ID: 0 to 2147483647, as Kubernetes allows.
func idRange(p *field.Path, v *int64) field.ErrorList {
	if v == nil {
		return nil
	}
	return inRange(p, *v, 0, math.MaxInt32)
}

// immutable reports old != new as Kubernetes' ValidateImmutableField does.
func immutable[T comparable](p *field.Path, v, old T) field.ErrorList {
	if v != old {
		return field.ErrorList{field.Invalid(p, v, msgImmutable)}
	}
	return nil
}

// sortedKeys returns m's keys in order, so errors come out in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// immutableMessage reports a change to a message field as Kubernetes' ValidateImmutableField does.
func immutableMessage[M proto.Message](p *field.Path, v, old M) field.ErrorList {
	if !proto.Equal(v, old) {
		return field.ErrorList{field.Invalid(p, v, msgImmutable)}
	}
	return nil
}

func bytesMapsEqual(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, func(x, y []byte) bool { return string(x) == string(y) })
}

// exclusive tracks a set of mutually exclusive fields, such as a volume's sources: every field taken
// after the first is reported Forbidden with msg.
type exclusive struct {
	p    *field.Path
	msg  string
	n    int
	errs field.ErrorList
}

// take counts the named field as set and reports whether it is the first; only the first is
// validated further.
func (e *exclusive) take(name string) bool {
	e.n++
	if e.n > 1 {
		e.errs = append(e.errs, field.Forbidden(e.p.Child(name), e.msg))
		return false
	}
	return true
}

// count is a named status count.
type count struct {
	name string
	n    int32
}

// nonNegativeCounts checks that no count under p is negative.
func nonNegativeCounts(p *field.Path, counts ...count) field.ErrorList {
	var errs field.ErrorList
	for _, c := range counts {
		errs = append(errs, nonNegative(p.Child(c.name), int64(c.n))...)
	}
	return errs
}
