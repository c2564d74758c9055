package resource

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// amount is the exact number unscaled * 10^scale. The unscaled value lives in small when it fits
// an int64 and in big otherwise; big is never mutated once set, so amounts can be copied freely.
type amount struct {
	small int64
	big   *big.Int
	scale int32
}

// maxPow10 is the largest n for which 10^n fits in an int64.
const maxPow10 = 18

// pow10 returns 10^n for 0 <= n <= maxPow10.
func pow10(n int32) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func bigPow10(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// newAmount returns u * 10^scale, storing u in small when it fits.
func newAmount(u *big.Int, scale int32) amount {
	if u.IsInt64() {
		return amount{small: u.Int64(), scale: scale}
	}
	return amount{big: u, scale: scale}
}

// unscaled returns a fresh copy of the unscaled value.
func (a amount) unscaled() *big.Int {
	if a.big != nil {
		return new(big.Int).Set(a.big)
	}
	return big.NewInt(a.small)
}

func (a amount) sign() int {
	if a.big != nil {
		return a.big.Sign()
	}
	switch {
	case a.small > 0:
		return 1
	case a.small < 0:
		return -1
	}
	return 0
}

// digits returns the number of decimal digits of |unscaled|, 0 for zero.
func (a amount) digits() int {
	if a.sign() == 0 {
		return 0
	}
	if a.big != nil {
		return len(new(big.Int).Abs(a.big).Text(10))
	}
	u := a.small
	if u < 0 {
		if u == math.MinInt64 {
			return 19
		}
		u = -u
	}
	return len(strconv.FormatInt(u, 10))
}

// mulPow10 returns v * 10^n for n >= 0, or false on overflow.
func mulPow10(v int64, n int32) (int64, bool) {
	if v == 0 || n == 0 {
		return v, true
	}
	if n > maxPow10 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(abs64(v)), uint64(pow10(n)))
	if hi != 0 || lo > math.MaxInt64 || v == math.MinInt64 {
		return 0, false
	}
	if v < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// alignSmall brings two int64 amounts to their smaller scale, or reports false on overflow.
func alignSmall(a, b amount) (x, y int64, scale int32, ok bool) {
	if a.big != nil || b.big != nil {
		return 0, 0, 0, false
	}
	scale = min(a.scale, b.scale)
	x, okA := mulPow10(a.small, a.scale-scale)
	y, okB := mulPow10(b.small, b.scale-scale)
	return x, y, scale, okA && okB
}

// alignBig brings two amounts to their smaller scale as big integers.
func alignBig(a, b amount) (x, y *big.Int, scale int32) {
	scale = min(a.scale, b.scale)
	x, y = a.unscaled(), b.unscaled()
	if d := a.scale - scale; d > 0 {
		x.Mul(x, bigPow10(d))
	}
	if d := b.scale - scale; d > 0 {
		y.Mul(y, bigPow10(d))
	}
	return x, y, scale
}

func (a amount) add(b amount) amount {
	if x, y, scale, ok := alignSmall(a, b); ok {
		if sum, carry := addInt64(x, y); !carry {
			return amount{small: sum, scale: scale}
		}
	}
	x, y, scale := alignBig(a, b)
	return newAmount(x.Add(x, y), scale)
}

// addInt64 returns x+y and whether it overflowed.
func addInt64(x, y int64) (int64, bool) {
	s := x + y
	return s, (x > 0 && y > 0 && s < 0) || (x < 0 && y < 0 && s >= 0)
}

// shiftLeft returns a * 2^n.
func (a amount) shiftLeft(n uint) amount {
	if a.big == nil && n < 63 && bits.Len64(uint64(abs64(a.small))) < 63-int(n) {
		return amount{small: a.small << n, scale: a.scale}
	}
	u := a.unscaled()
	return newAmount(u.Lsh(u, n), a.scale)
}

func (a amount) neg() amount {
	if a.big == nil && a.small != math.MinInt64 {
		return amount{small: -a.small, scale: a.scale}
	}
	u := a.unscaled()
	return newAmount(u.Neg(u), a.scale)
}

func (a amount) cmp(b amount) int {
	if x, y, _, ok := alignSmall(a, b); ok {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	if sa, sb := a.sign(), b.sign(); sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	x, y, _ := alignBig(a, b)
	return x.Cmp(y)
}

// roundUp returns a at scale s or coarser, rounding away from zero, and whether that was exact.
func (a amount) roundUp(s int32) (amount, bool) {
	if a.scale >= s {
		return a, true
	}
	k := s - a.scale
	if a.big == nil && k <= maxPow10 {
		p := pow10(k)
		q, r := a.small/p, a.small%p
		switch {
		case r > 0:
			q++
		case r < 0:
			q--
		}
		return amount{small: q, scale: s}, r == 0
	}
	if int(k) > a.digits() {
		// |a| < 10^k at scale s: the quotient is zero and only the rounding is left.
		return amount{small: int64(a.sign()), scale: s}, a.sign() == 0
	}
	q, r := new(big.Int).QuoRem(a.unscaled(), bigPow10(k), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(int64(r.Sign())))
	}
	return newAmount(q, s), r.Sign() == 0
}

// int64At returns a / 10^s rounded away from zero, saturated to the int64 range; ok is false if it
// saturated.
func (a amount) int64At(s int32) (v int64, ok bool) {
	r, _ := a.roundUp(s)
	if r.big == nil {
		if v, ok := mulPow10(r.small, r.scale-s); ok {
			return v, true
		}
	}
	if r.sign() < 0 {
		return math.MinInt64, false
	}
	return math.MaxInt64, false
}

func (a amount) float64() float64 {
	var base float64
	if a.big != nil {
		base, _ = new(big.Float).SetInt(a.big).Float64()
	} else {
		base = float64(a.small)
	}
	if a.scale == 0 {
		return base
	}
	return base * math.Pow10(int(a.scale))
}
