package validation

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// validationCase is one input and the messages expected for it; nil means valid.
type validationCase struct {
	value string
	want  []string
}

func runValidation(t *testing.T, check func(string) []string, cases []validationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			require.Equal(t, tc.want, check(tc.value))
		})
	}
}

var (
	labelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	subdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	nameMsg      = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
	valueMsg     = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

func TestIsDNS1123Label(t *testing.T) {
	runValidation(t, IsDNS1123Label, []validationCase{
		{value: "a"},
		{value: "web-1"},
		{value: "123-abc"},
		{value: strings.Repeat("a", 63)},
		{value: "", want: []string{labelMsg}},
		{value: "Web", want: []string{labelMsg}},
		{value: "-web", want: []string{labelMsg}},
		{value: "web-", want: []string{labelMsg}},
		{value: "web_1", want: []string{labelMsg}},
		{value: "a.b", want: []string{"must not contain dots"}},
		{value: strings.Repeat("a", 64), want: []string{"must be no more than 63 characters"}},
		{value: strings.Repeat("A", 64), want: []string{"must be no more than 63 characters", labelMsg}},
	})
}

func TestIsDNS1123Subdomain(t *testing.T) {
	runValidation(t, IsDNS1123Subdomain, []validationCase{
		{value: "example.com"},
		{value: "a"},
		{value: "kube-system"},
		{value: "1.2.3"},
		{value: strings.Repeat("a.", 126) + "a"},
		{value: "", want: []string{subdomainMsg}},
		{value: "a..b", want: []string{subdomainMsg}},
		{value: ".a", want: []string{subdomainMsg}},
		{value: "a.", want: []string{subdomainMsg}},
		{value: "A.com", want: []string{subdomainMsg}},
		{value: "a_b.com", want: []string{subdomainMsg}},
		{value: strings.Repeat("a", 254), want: []string{"must be no more than 253 characters"}},
	})
}

func TestIsDNS1035Label(t *testing.T) {
	msg := "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
	runValidation(t, IsDNS1035Label, []validationCase{
		{value: "web"},
		{value: "a1"},
		{value: "1a", want: []string{msg}},
		{value: "", want: []string{msg}},
		{value: "a-", want: []string{msg}},
	})
}

func TestIsQualifiedName(t *testing.T) {
	runValidation(t, IsQualifiedName, []validationCase{
		{value: "app"},
		{value: "App.Name_1"},
		{value: "example.com/MyName"},
		{value: "kubernetes.io/hostname"},
		{value: "a"},
		{value: strings.Repeat("a", 63)},
		{value: "", want: []string{"name part must be non-empty", nameMsg}},
		{value: "-app", want: []string{nameMsg}},
		{value: "app-", want: []string{nameMsg}},
		{value: "a b", want: []string{nameMsg}},
		{value: strings.Repeat("a", 64), want: []string{"name part must be no more than 63 characters"}},
		{value: "/app", want: []string{"prefix part must be non-empty"}},
		{value: "example.com/", want: []string{"name part must be non-empty", nameMsg}},
		{value: "Example.com/app", want: []string{"prefix part " + subdomainMsg}},
		{value: "a/b/c", want: []string{"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}},
	})
}

func TestIsValidLabelValue(t *testing.T) {
	runValidation(t, IsValidLabelValue, []validationCase{
		{value: ""},
		{value: "web"},
		{value: "My_Value.1"},
		{value: "12345"},
		{value: strings.Repeat("v", 63)},
		{value: "-web", want: []string{valueMsg}},
		{value: "web.", want: []string{valueMsg}},
		{value: "a/b", want: []string{valueMsg}},
		{value: "a b", want: []string{valueMsg}},
		{value: strings.Repeat("v", 64), want: []string{"must be no more than 63 characters"}},
	})
}

func TestIsValidPathSegmentName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"system:node", true}, {"cluster-admin", true}, {"a.b", true},
		{".", false}, {"..", false}, {"a/b", false}, {"a%2F", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if errs := IsValidPathSegmentName(tc.name); (len(errs) == 0) != tc.ok {
				t.Errorf("IsValidPathSegmentName(%q) = %v, want ok=%v", tc.name, errs, tc.ok)
			}
		})
	}
}
