package resource

import (
	"math/big"
	"strconv"
)

// canonicalDecimal returns a as mantissa * 10^exponent with exponent a multiple of 3 and as large
// as possible without a fractional mantissa: 1.5 is ("1500", -3), 2000 is ("2", 3).
func (a amount) canonicalDecimal() (mantissa string, exponent int32) {
	exponent = a.scale
	if a.big == nil {
		v := a.small
		for v != 0 && v%10 == 0 {
			v /= 10
			exponent++
		}
		down := mod3(exponent)
		if m, ok := mulPow10(v, down); ok {
			return strconv.FormatInt(m, 10), exponent - down
		}
		return canonicalDecimalBig(big.NewInt(v), exponent)
	}
	return canonicalDecimalBig(a.unscaled(), exponent)
}

func canonicalDecimalBig(v *big.Int, exponent int32) (string, int32) {
	ten, q, r := big.NewInt(10), new(big.Int), new(big.Int)
	for v.Sign() != 0 {
		q.QuoRem(v, ten, r)
		if r.Sign() != 0 {
			break
		}
		v.Set(q)
		exponent++
	}
	down := mod3(exponent)
	v.Mul(v, bigPow10(down))
	return v.Text(10), exponent - down
}

// mod3 returns e mod 3 in 0..2, the amount to lower e by to reach a multiple of 3.
func mod3(e int32) int32 { return ((e % 3) + 3) % 3 }

// maxBinaryExponent is the largest power of 1024 with a suffix, Ei.
const maxBinaryExponent = 6

// canonicalBinary returns the integer amount a (scale >= 0, as roundUp(0) leaves it) as mantissa * 1024^exponent with
// exponent as large as possible up to Ei: 1610612736 is ("1536", 2), i.e. 1536Mi.
func (a amount) canonicalBinary() (mantissa string, exponent int32) {
	if a.big == nil {
		if v, ok := mulPow10(a.small, a.scale); ok {
			for exponent < maxBinaryExponent && v != 0 && v%1024 == 0 {
				v /= 1024
				exponent++
			}
			return strconv.FormatInt(v, 10), exponent
		}
	}
	v := a.unscaled()
	if a.scale > 0 {
		v.Mul(v, bigPow10(a.scale))
	}
	for exponent < maxBinaryExponent && v.Sign() != 0 && v.TrailingZeroBits() >= 10 {
		v.Rsh(v, 10)
		exponent++
	}
	// Rsh of a negative number is exact here: the shifted-out bits are all zero.
	return v.Text(10), exponent
}
