package validation

import (
	"regexp"
	"testing"
)

// FuzzNamesMatchTheirRegex checks the hand-written matchers against the regular expressions that
// Kubernetes documents in its messages.
func FuzzNamesMatchTheirRegex(f *testing.F) {
	for _, s := range []string{"", "a", "a.b", "A-b_c.d", "-a", "a-", "a..b", "example.com/Name", "1.2.3", "a_b"} {
		f.Add(s)
	}
	label := regexp.MustCompile("^" + dns1123LabelFmt + "$")
	subdomain := regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
	qualified := regexp.MustCompile("^" + qualifiedNameFmt + "$")
	labelValue := regexp.MustCompile("^" + labelValueFmt + "$")
	f.Fuzz(func(t *testing.T, s string) {
		checks := []struct {
			name string
			got  bool
			re   *regexp.Regexp
		}{
			{"dns1123 label", isDNS1123Label(s), label},
			{"dns1123 subdomain", isDNS1123Subdomain(s), subdomain},
			{"qualified name part", isQualifiedNamePart(s), qualified},
			{"label value", s == "" || isQualifiedNamePart(s), labelValue},
		}
		for _, c := range checks {
			if want := c.re.MatchString(s); c.got != want {
				t.Fatalf("%s(%q) = %v, regex says %v", c.name, s, c.got, want)
			}
		}
	})
}
