package labels

import "testing"

// FuzzParse checks that Parse never panics and that a parsed selector's String parses back to the
// same selector.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "a", "!a", "a=b", "a==b", "a!=b", "a in (x,y)", "a notin ()", "a>1", "a<2", "x=,y", "a in (,x,)", "example.com/a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
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
