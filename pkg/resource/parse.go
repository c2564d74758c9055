package resource

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// Errors wrapped by Parse, as Kubernetes words them.
var (
	ErrFormatWrong = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	ErrNumeric     = errors.New("unable to parse numeric part of quantity")
	ErrSuffix      = errors.New("unable to parse quantity's suffix")
	ErrRange       = errors.New("quantity is too large (at most 1000 decimal digits)")
)

// maxDigits bounds a quantity's magnitude below 10^maxDigits, so that a short input such as
// "1e999999999" cannot make arithmetic allocate without bound. Kubernetes has no such bound, but
// no resource comes near it.
const maxDigits = 1000

// nanoScale is the finest scale a parsed quantity keeps: 10^-9.
const nanoScale = -9

// Parse parses a quantity: a signed decimal number ("1", "1.5", ".5", "1.") followed by a suffix
// that is binary SI (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or an exponent (e3,
// E-2). The quantity remembers the kind of suffix, which String uses. As in Kubernetes, a value
// finer than 10^-9 is rounded away from zero to a multiple of 10^-9 ("0.1n" is "1n"), a binary SI
// value is capped at 2^63-1 in magnitude, and a binary SI value below 1 in magnitude is treated as
// decimal SI. Errors quote the input and wrap ErrFormatWrong, ErrNumeric, ErrSuffix or ErrRange.
func Parse(s string) (Quantity, error) {
	q, err := parse(s)
	if err != nil {
		return Quantity{}, fmt.Errorf("quantity %q: %w", s, err)
	}
	return q, nil
}

// MustParse is Parse that panics on error, for tests and constants known to be valid.
func MustParse(s string) Quantity {
	q, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return q
}

func parse(s string) (Quantity, error) {
	negative, intPart, fracPart, suffix, err := split(s)
	if err != nil {
		return Quantity{}, err
	}
	base, exponent, format, ok := interpretSuffix(suffix)
	if !ok {
		return Quantity{}, ErrSuffix
	}
	a, err := digitsAmount(negative, intPart, fracPart)
	if err != nil {
		return Quantity{}, err
	}
	if base == 2 {
		a = a.shiftLeft(uint(exponent))
	} else {
		scale := int64(a.scale) + int64(exponent)
		if scale > math.MaxInt32 || scale < math.MinInt32 {
			return Quantity{}, ErrRange
		}
		a.scale = int32(scale)
	}
	if a.sign() == 0 {
		return Quantity{Format: format}, nil
	}
	if a.scale < nanoScale {
		a, _ = a.roundUp(nanoScale)
	}
	if int64(a.digits())+int64(a.scale) > maxDigits {
		return Quantity{}, ErrRange
	}
	if format == BinarySI {
		a = capBinary(a)
		if one := (amount{small: 1}); a.cmp(one) < 0 && a.cmp(one.neg()) > 0 {
			format = DecimalSI
		}
	}
	return Quantity{amt: a, Format: format}, nil
}

// capBinary caps a at ±(2^63-1), as Kubernetes caps binary SI quantities.
func capBinary(a amount) amount {
	limit := amount{small: math.MaxInt64}
	if a.cmp(limit) > 0 {
		return limit
	}
	if a.cmp(limit.neg()) < 0 {
		return limit.neg()
	}
	return a
}

// split separates a quantity into sign, integer digits (leading zeros kept), fraction digits and
// suffix. It requires at least one digit.
func split(s string) (negative bool, intPart, fracPart, suffix string, err error) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		negative = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracPart = s[start:i]
	}
	if intPart == "" && fracPart == "" {
		return false, "", "", "", ErrFormatWrong
	}
	suffix = s[i:]
	if strings.TrimLeft(suffix, "eEinumkKMGTP+-0123456789") != "" {
		return false, "", "", "", ErrFormatWrong
	}
	return negative, intPart, fracPart, suffix, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digitsAmount returns ±intPart.fracPart, avoiding math/big when it fits an int64.
func digitsAmount(negative bool, intPart, fracPart string) (amount, error) {
	scale := -int32(len(fracPart))
	if len(intPart)+len(fracPart) <= maxPow10 {
		var v int64
		for _, part := range []string{intPart, fracPart} {
			for i := 0; i < len(part); i++ {
				v = v*10 + int64(part[i]-'0')
			}
		}
		if negative {
			v = -v
		}
		return amount{small: v, scale: scale}, nil
	}
	u, ok := new(big.Int).SetString(intPart+fracPart, 10)
	if !ok {
		return amount{}, ErrNumeric
	}
	if negative {
		u.Neg(u)
	}
	return newAmount(u, scale), nil
}
