package resource

import (
	"encoding/json"
	"fmt"
)

// Quantity is an exact fixed-point number with the format it is written in, as Kubernetes'
// resource.Quantity: "500m" CPU, "128Mi" memory. Unlike Kubernetes' type, Quantity is an immutable
// value: Add, Sub and Neg return a new Quantity. The zero value is 0. Compare with Cmp or Equal,
// not ==, which also compares how the number is stored.
type Quantity struct {
	amt amount
	// Format is kept from Parse and chooses how String writes the number.
	Format Format
}

// NewQuantity returns value in the given format.
func NewQuantity(value int64, format Format) Quantity {
	return Quantity{amt: amount{small: value}, Format: format}
}

// NewMilliQuantity returns milli/1000 in the given format.
func NewMilliQuantity(milli int64, format Format) Quantity {
	return Quantity{amt: amount{small: milli, scale: -3}, Format: format}
}

// IsZero reports whether q is 0.
func (q Quantity) IsZero() bool { return q.amt.sign() == 0 }

// Sign returns -1, 0 or 1.
func (q Quantity) Sign() int { return q.amt.sign() }

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than y.
func (q Quantity) Cmp(y Quantity) int { return q.amt.cmp(y.amt) }

// Equal reports whether q and y are the same number, whatever their formats.
func (q Quantity) Equal(y Quantity) bool { return q.Cmp(y) == 0 }

// Add returns q + y. A zero q takes y's format, as in Kubernetes.
func (q Quantity) Add(y Quantity) Quantity {
	return Quantity{amt: q.amt.add(y.amt), Format: q.formatWith(y)}
}

// Sub returns q - y. A zero q takes y's format, as in Kubernetes.
func (q Quantity) Sub(y Quantity) Quantity {
	return Quantity{amt: q.amt.add(y.amt.neg()), Format: q.formatWith(y)}
}

func (q Quantity) formatWith(y Quantity) Format {
	if q.IsZero() {
		return y.Format
	}
	return q.Format
}

// Neg returns -q.
func (q Quantity) Neg() Quantity { return Quantity{amt: q.amt.neg(), Format: q.Format} }

// Value returns q rounded away from zero to an integer: "1500m" is 2, "-1500m" is -2. A value
// outside the int64 range saturates at math.MaxInt64 or math.MinInt64 (Kubernetes' overflows).
func (q Quantity) Value() int64 { return q.ScaledValue(0) }

// MilliValue returns q * 1000 rounded away from zero: "1.5" is 1500, "1n" is 1. It saturates like
// Value.
func (q Quantity) MilliValue() int64 { return q.ScaledValue(-3) }

// ScaledValue returns q / 10^scale rounded away from zero, saturated like Value.
func (q Quantity) ScaledValue(scale int32) int64 {
	v, _ := q.amt.int64At(scale)
	return v
}

// AsInt64 returns q as an int64 if it is an integer in range.
func (q Quantity) AsInt64() (int64, bool) {
	r, exact := q.amt.roundUp(0)
	if !exact {
		return 0, false
	}
	return r.int64At(0)
}

// AsApproximateFloat64 returns q as the nearest float64, ±Inf outside its range.
func (q Quantity) AsApproximateFloat64() float64 { return q.amt.float64() }

// String returns q in canonical form, as Kubernetes prints it: the largest suffix of q's format
// that keeps the mantissa an integer, e.g. "1500m", "128Mi", "1G", "2e3". A binary SI value that
// is not an integer, or below 1024 in magnitude, is written as decimal SI; a decimal SI value
// beyond the E suffix is written with an exponent.
func (q Quantity) String() string {
	if q.IsZero() {
		return "0"
	}
	format := q.Format
	switch format {
	case DecimalSI, DecimalExponent:
	case BinarySI:
		integer, exact := q.amt.roundUp(0)
		if exact && (q.amt.cmp(amount{small: 1024}) >= 0 || q.amt.cmp(amount{small: -1024}) <= 0) {
			mantissa, exponent := integer.canonicalBinary()
			return mantissa + binarySuffix(exponent)
		}
		format = DecimalSI
	default:
		format = DecimalExponent
	}
	mantissa, exponent := q.amt.canonicalDecimal()
	if format == DecimalSI {
		if suffix, ok := decimalSuffix(exponent); ok {
			return mantissa + suffix
		}
	}
	return mantissa + exponentSuffix(exponent)
}

// MarshalText writes q's canonical string, so JSON and YAML carry "500m" as Kubernetes does.
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText parses a quantity.
func (q *Quantity) UnmarshalText(text []byte) error {
	parsed, err := Parse(string(text))
	if err != nil {
		return err
	}
	*q = parsed
	return nil
}

// UnmarshalJSON accepts a JSON string ("500m") or a JSON number (2, as YAML manifests often carry
// CPU counts); null leaves q unchanged.
func (q *Quantity) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var s string
	if len(data) > 0 && data[0] == '"' {
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("quantity: %w", err)
		}
	} else {
		s = string(data)
	}
	return q.UnmarshalText([]byte(s))
}
