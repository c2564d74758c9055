package fields

import "testing"

// FuzzParse checks that Parse never panics, that String parses back to the same requirements, and
// that escaping round-trips every value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a=b", "a==b", "a!=b", `a=x\,y`, `a=\\`, "a=1,b!=2", "a!==b", `a=\x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := UnescapeValue(EscapeValue(s)); err != nil || v != s {
			t.Fatalf("escape round trip of %q: %q, %v", s, v, err)
		}
		sel, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sel.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, sel.String(), err)
		}
		if again.String() != sel.String() {
			t.Fatalf("round trip of %q: %q != %q", s, again.String(), sel.String())
		}
	})
}
