package resource

import "strconv"

// Format is how a quantity is written: the kind of suffix it was parsed with, which String keeps.
type Format string

// The formats, as Kubernetes names them.
const (
	// DecimalExponent is written with an exponent: 12e6.
	DecimalExponent Format = "DecimalExponent"
	// BinarySI is written with a power-of-1024 suffix: 12Mi is 12 * 2^20.
	BinarySI Format = "BinarySI"
	// DecimalSI is written with a power-of-1000 suffix: 12M is 12 * 10^6, 500m is 0.5.
	DecimalSI Format = "DecimalSI"
)

// decimalSuffix returns the DecimalSI suffix for 10^exponent.
func decimalSuffix(exponent int32) (string, bool) {
	switch exponent {
	case -9:
		return "n", true
	case -6:
		return "u", true
	case -3:
		return "m", true
	case 0:
		return "", true
	case 3:
		return "k", true
	case 6:
		return "M", true
	case 9:
		return "G", true
	case 12:
		return "T", true
	case 15:
		return "P", true
	case 18:
		return "E", true
	}
	return "", false
}

// binarySuffix returns the BinarySI suffix for 1024^exponent, 0 <= exponent <= maxBinaryExponent.
func binarySuffix(exponent int32) string {
	return [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}[exponent]
}

// exponentSuffix returns the DecimalExponent suffix for 10^exponent.
func exponentSuffix(exponent int32) string {
	if exponent == 0 {
		return ""
	}
	return "e" + strconv.FormatInt(int64(exponent), 10)
}

// interpretSuffix returns what a suffix means: the number is multiplied by base^exponent, and
// the quantity keeps format. ok is false for an unknown suffix.
func interpretSuffix(s string) (base int, exponent int32, format Format, ok bool) {
	for e := int32(1); e <= maxBinaryExponent; e++ {
		if s == binarySuffix(e) {
			return 2, 10 * e, BinarySI, true
		}
	}
	for e := int32(-9); e <= 18; e += 3 {
		if d, _ := decimalSuffix(e); s == d {
			return 10, e, DecimalSI, true
		}
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		e, err := strconv.ParseInt(s[1:], 10, 32)
		if err == nil {
			return 10, int32(e), DecimalExponent, true
		}
	}
	return 0, 0, "", false
}
