package resource

import "testing"

// FuzzParse checks that Parse never panics and that a parsed quantity prints a string that parses
// back to the same number and the same string.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0", "1", "500m", "1.5", "128Mi", "1G", "2e3", "1Ki", "0.1", "-1.5Gi", "1000E", "0.1n",
		"8Ei", "1e-10", ".5", "1.", "+3k", "123456789012345678901234567890", "1E", "15e-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			return
		}
		str := q.String()
		back, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, str, err)
		}
		if back.Cmp(q) != 0 {
			t.Fatalf("Parse(%q) = %s, but %q parses to %s", s, str, str, back.String())
		}
		if back.String() != str {
			t.Fatalf("%q prints %q, which prints %q", s, str, back.String())
		}
		_ = q.Value()
		_ = q.MilliValue()
		_ = q.AsApproximateFloat64()
		if q.Add(q.Neg()).Sign() != 0 {
			t.Fatalf("%q minus itself is not zero", s)
		}
	})
}
