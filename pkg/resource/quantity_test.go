package resource

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAndString(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		format Format
		milli  int64
	}{
		{in: "0", want: "0", format: DecimalSI, milli: 0},
		{in: "-0", want: "0", format: DecimalSI},
		{in: "0Ki", want: "0", format: BinarySI},
		{in: "1", want: "1", format: DecimalSI, milli: 1000},
		{in: "500m", want: "500m", format: DecimalSI, milli: 500},
		{in: "0.5", want: "500m", format: DecimalSI, milli: 500},
		{in: ".5", want: "500m", format: DecimalSI, milli: 500},
		{in: "1.", want: "1", format: DecimalSI, milli: 1000},
		{in: "1.5", want: "1500m", format: DecimalSI, milli: 1500},
		{in: "0.1", want: "100m", format: DecimalSI, milli: 100},
		{in: "1500m", want: "1500m", format: DecimalSI, milli: 1500},
		{in: "1000m", want: "1", format: DecimalSI, milli: 1000},
		{in: "1000", want: "1k", format: DecimalSI, milli: 1e6},
		{in: "1200", want: "1200", format: DecimalSI},
		{in: "12000", want: "12k", format: DecimalSI},
		{in: "+3k", want: "3k", format: DecimalSI},
		{in: "-3k", want: "-3k", format: DecimalSI},
		{in: "1G", want: "1G", format: DecimalSI},
		{in: "1000M", want: "1G", format: DecimalSI},
		{in: "1.5G", want: "1500M", format: DecimalSI},
		{in: "1E", want: "1E", format: DecimalSI},
		{in: "1000E", want: "1e21", format: DecimalSI},
		{in: "1.2345", want: "1234500u", format: DecimalSI},
		{in: "1n", want: "1n", format: DecimalSI},
		{in: "0.1n", want: "1n", format: DecimalSI},
		{in: "-0.1n", want: "-1n", format: DecimalSI},
		{in: "1.0000000001", want: "1000000001n", format: DecimalSI},
		{in: "10u", want: "10u", format: DecimalSI},
		{in: "1Ki", want: "1Ki", format: BinarySI, milli: 1024000},
		{in: "128Mi", want: "128Mi", format: BinarySI},
		{in: "1024Mi", want: "1Gi", format: BinarySI},
		{in: "1.5Gi", want: "1536Mi", format: BinarySI},
		{in: "1.5Ki", want: "1536", format: BinarySI},
		{in: "0.5Ki", want: "512", format: BinarySI},
		{in: "0.1Ki", want: "102400m", format: BinarySI},
		{in: "0.5Mi", want: "512Ki", format: BinarySI},
		{in: "1024Ei", want: "9223372036854775807", format: BinarySI},
		{in: "8Ei", want: "9223372036854775807", format: BinarySI},
		{in: "-8Ei", want: "-9223372036854775807", format: BinarySI},
		{in: "1Ei", want: "1Ei", format: BinarySI},
		{in: "2e3", want: "2e3", format: DecimalExponent, milli: 2e6},
		{in: "2E3", want: "2e3", format: DecimalExponent},
		{in: "1.5e3", want: "1500", format: DecimalExponent},
		{in: "15e-1", want: "1500e-3", format: DecimalExponent},
		{in: "1e+3", want: "1e3", format: DecimalExponent},
		{in: "1e0", want: "1", format: DecimalExponent},
		{in: "1e-10", want: "1e-9", format: DecimalExponent},
		{in: "100e18", want: "100e18", format: DecimalExponent},
		{in: "18446744073709551616", want: "18446744073709551616", format: DecimalSI},
		{in: "123456789012345678901234567890", want: "123456789012345678901234567890", format: DecimalSI},
		{in: "00012", want: "12", format: DecimalSI},
		{in: "3.001n", want: "4n", format: DecimalSI},
		{in: "1.1E-9", want: "2e-9", format: DecimalExponent},
		{in: "0.00000012345", want: "124n", format: DecimalSI},
		{in: "9223372036854775807Ki", want: "9223372036854775807", format: BinarySI},
		{in: "0.000000000001Ki", want: "2n", format: DecimalSI},
		{in: "100.035Ki", want: "102435840m", format: BinarySI},
		{in: "1.G", want: "1G", format: DecimalSI},
		{in: ".0001k", want: "100m", format: DecimalSI},
		{in: "1.7E18", want: "1700e15", format: DecimalExponent},
		{in: "7.123456M", want: "7123456", format: DecimalSI},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			q, err := Parse(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, q.String())
			require.Equal(t, tc.format, q.Format)
			if tc.milli != 0 {
				require.Equal(t, tc.milli, q.MilliValue())
			}
			back, err := Parse(q.String())
			require.NoError(t, err)
			require.Zero(t, back.Cmp(q), "String parses back to the same number")
			require.Equal(t, q.String(), back.String())
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrFormatWrong},
		{"-", ErrFormatWrong},
		{".", ErrFormatWrong},
		{"m", ErrFormatWrong},
		{"Ki", ErrFormatWrong},
		{"1 ", ErrFormatWrong},
		{" 1", ErrFormatWrong},
		{"1.5.5", ErrFormatWrong},
		{"12x", ErrFormatWrong},
		{"1mm", ErrSuffix},
		{"1K", ErrSuffix},
		{"1KiB", ErrFormatWrong},
		{"1Ki5", ErrSuffix},
		{"1e", ErrSuffix},
		{"1e1.5", ErrFormatWrong},
		{"1e99999999999", ErrSuffix},
		{"1e1001", ErrRange},
		{"1e2147483647", ErrRange},
		{"--1", ErrFormatWrong},
		{"1.1.M", ErrFormatWrong},
		{"1+1.0M", ErrFormatWrong},
		{"0.1mi", ErrSuffix},
		{"0.1am", ErrFormatWrong},
		{"aoeu", ErrFormatWrong},
		{".5i", ErrSuffix},
		{"-3.01i", ErrSuffix},
		{"-3.01e-", ErrSuffix},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, `quantity "`+tc.in+`"`, "the error names the input")
		})
	}
}

func TestMustParse(t *testing.T) {
	require.Equal(t, "1Gi", MustParse("1Gi").String())
	require.PanicsWithError(t, `quantity "x": `+ErrFormatWrong.Error(), func() { MustParse("x") })
}

func TestValueRounding(t *testing.T) {
	tests := []struct {
		in    string
		value int64
		milli int64
	}{
		{"0", 0, 0},
		{"1", 1, 1000},
		{"1500m", 2, 1500},
		{"1001m", 2, 1001},
		{"-1500m", -2, -1500},
		{"1n", 1, 1},
		{"-1n", -1, -1},
		{"1.0001m", 1, 2},
		{"128Mi", 134217728, 134217728000},
		{"9223372036854775807", math.MaxInt64, math.MaxInt64},
		{"9223372036854775808", math.MaxInt64, math.MaxInt64},
		{"-9223372036854775808", math.MinInt64, math.MinInt64},
		{"-1e30", math.MinInt64, math.MinInt64},
		{"9223372036854775807m", 9223372036854776, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			q := MustParse(tc.in)
			require.Equal(t, tc.value, q.Value())
			require.Equal(t, tc.milli, q.MilliValue())
		})
	}
}

func TestScaledValueAndAsInt64(t *testing.T) {
	q := MustParse("1.5G")
	require.Equal(t, int64(1500), q.ScaledValue(6))
	require.Equal(t, int64(2), q.ScaledValue(9))
	require.Equal(t, int64(1500000000000), q.ScaledValue(-3))

	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1k", 1000, true},
		{"1500m", 0, false},
		{"-7", -7, true},
		{"1e19", math.MaxInt64, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, ok := MustParse(tc.in).AsInt64()
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, tc.want, v)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		a, b     string
		sum      string
		diff     string
		cmp      int
		negA     string
		sumFmt   Format
		diffZero bool
	}{
		{a: "1", b: "500m", sum: "1500m", diff: "500m", cmp: 1, negA: "-1", sumFmt: DecimalSI},
		{a: "100m", b: "100m", sum: "200m", diff: "0", cmp: 0, negA: "-100m", sumFmt: DecimalSI, diffZero: true},
		{a: "1Gi", b: "512Mi", sum: "1536Mi", diff: "512Mi", cmp: 1, negA: "-1Gi", sumFmt: BinarySI},
		{a: "0", b: "1Gi", sum: "1Gi", diff: "-1Gi", cmp: -1, negA: "0", sumFmt: BinarySI},
		{a: "1", b: "1Gi", sum: "1073741825", diff: "-1073741823", cmp: -1, negA: "-1", sumFmt: DecimalSI},
		{a: "9223372036854775807", b: "1", sum: "9223372036854775808", diff: "9223372036854775806", cmp: 1, negA: "-9223372036854775807", sumFmt: DecimalSI},
		{a: "-9223372036854775808", b: "1", sum: "-9223372036854775807", diff: "-9223372036854775809", cmp: -1, negA: "9223372036854775808", sumFmt: DecimalSI},
		{a: "1E", b: "1n", sum: "1000000000000000000000000001n", diff: "999999999999999999999999999n", cmp: 1, negA: "-1E", sumFmt: DecimalSI},
		{a: "4Ei", b: "4Ei", sum: "8Ei", diff: "0", cmp: 0, negA: "-4Ei", sumFmt: BinarySI, diffZero: true},
		{a: "1e30", b: "1e30", sum: "2e30", diff: "0", cmp: 0, negA: "-1e30", sumFmt: DecimalExponent, diffZero: true},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_"+tc.b, func(t *testing.T) {
			a, b := MustParse(tc.a), MustParse(tc.b)
			sum := a.Add(b)
			require.Equal(t, tc.sum, sum.String())
			require.Equal(t, tc.sumFmt, sum.Format)
			require.Equal(t, tc.diff, a.Sub(b).String())
			require.Equal(t, tc.diffZero, a.Sub(b).IsZero())
			require.Equal(t, tc.cmp, a.Cmp(b))
			require.Equal(t, -tc.cmp, b.Cmp(a))
			require.Equal(t, tc.negA, a.Neg().String())
			require.Zero(t, sum.Sub(b).Cmp(a), "(a+b)-b == a")
			require.Equal(t, tc.a, a.String(), "operands are not modified")
		})
	}
}

func TestBinaryBeyondEi(t *testing.T) {
	q := NewQuantity(1<<62, BinarySI)
	for range 10 {
		q = q.Add(q)
	}
	require.Equal(t, "4096Ei", q.String())
	require.Equal(t, "-4096Ei", q.Neg().String())
	require.Equal(t, "4722366482869645213697", q.Add(NewQuantity(1, BinarySI)).String())
}

func TestSignAndEqual(t *testing.T) {
	require.Equal(t, 1, MustParse("1n").Sign())
	require.Equal(t, -1, MustParse("-1Ki").Sign())
	require.Equal(t, 0, Quantity{}.Sign())
	require.True(t, Quantity{}.IsZero())
	require.Equal(t, "0", Quantity{}.String())
	require.True(t, MustParse("1k").Equal(MustParse("1000")))
	require.True(t, MustParse("1Ki").Equal(MustParse("1024")))
	require.False(t, MustParse("1Ki").Equal(MustParse("1k")))
	require.True(t, MustParse("1.50").Equal(MustParse("1500m")))
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		q    Quantity
		want string
	}{
		{"cores", NewQuantity(4, DecimalSI), "4"},
		{"bytes", NewQuantity(64<<30, BinarySI), "64Gi"},
		{"small binary prints decimal", NewQuantity(1000, BinarySI), "1k"},
		{"millicores", NewMilliQuantity(250, DecimalSI), "250m"},
		{"whole millis", NewMilliQuantity(2000, DecimalSI), "2"},
		{"no format prints an exponent", NewQuantity(5000, ""), "5e3"},
		{"exponent", NewQuantity(1500, DecimalExponent), "1500"},
		{"min int64", NewQuantity(math.MinInt64, DecimalSI), "-9223372036854775808"},
		{"negated min int64", NewQuantity(math.MinInt64, DecimalSI).Neg(), "9223372036854775808"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.q.String())
		})
	}
}

func TestAsApproximateFloat64(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"0", 0},
		{"1500m", 1.5},
		{"128Mi", 134217728},
		{"1e30", 1e30},
		{"-2.5", -2.5},
		{"1e999", math.Inf(1)},
		{"123456789012345678901234567890", 1.2345678901234568e29},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.InDelta(t, tc.want, MustParse(tc.in).AsApproximateFloat64(), math.Abs(tc.want)*1e-12)
		})
	}
}

func TestJSON(t *testing.T) {
	type limits struct {
		CPU    Quantity `json:"cpu"`
		Memory Quantity `json:"memory"`
	}
	var l limits
	require.NoError(t, json.Unmarshal([]byte(`{"cpu": 2, "memory": "1.5Gi"}`), &l))
	require.Equal(t, "2", l.CPU.String())
	require.Equal(t, "1536Mi", l.Memory.String())
	out, err := json.Marshal(l)
	require.NoError(t, err)
	require.JSONEq(t, `{"cpu":"2","memory":"1536Mi"}`, string(out))

	require.NoError(t, json.Unmarshal([]byte(`{"cpu": null}`), &l))
	require.Equal(t, "2", l.CPU.String())

	err = json.Unmarshal([]byte(`{"cpu": "two"}`), &l)
	require.ErrorIs(t, err, ErrFormatWrong)
	require.True(t, strings.Contains(err.Error(), `"two"`))
}
