package fields

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		reqs    []Requirement
		wantErr string
	}{
		{in: "", want: ""},
		{in: ",", want: ""},
		{in: "metadata.name=web", want: "metadata.name=web", reqs: []Requirement{{"metadata.name", Equals, "web"}}},
		{in: "metadata.name==web", want: "metadata.name=web", reqs: []Requirement{{"metadata.name", Equals, "web"}}},
		{in: "status.phase!=Running", want: "status.phase!=Running", reqs: []Requirement{{"status.phase", NotEquals, "Running"}}},
		{in: "spec.nodeName=", want: "spec.nodeName=", reqs: []Requirement{{"spec.nodeName", Equals, ""}}},
		{in: "b=2,a=1", want: "a=1,b=2", reqs: []Requirement{{"a", Equals, "1"}, {"b", Equals, "2"}}},
		{in: "a=1,a=1", want: "a=1"},
		{in: `a=x\,y`, want: `a=x\,y`, reqs: []Requirement{{"a", Equals, "x,y"}}},
		{in: `a=x\=y`, want: `a=x\=y`, reqs: []Requirement{{"a", Equals, "x=y"}}},
		{in: `a=x\\y`, want: `a=x\\y`, reqs: []Requirement{{"a", Equals, `x\y`}}},
		{in: `a=\\,b=c`, want: `a=\\,b=c`, reqs: []Requirement{{"a", Equals, `\`}, {"b", Equals, "c"}}},
		{in: "a!==b", wantErr: `term "a!==b": invalid field selector value: unescaped character in value: '='`},
		{in: "a", wantErr: `invalid field selector: "a"; can't understand "a"`},
		{in: "a=1,b", wantErr: `can't understand "b"`},
		{in: "=b", wantErr: `can't understand "=b"`},
		{in: "a=b=c", wantErr: "unescaped character in value: '='"},
		{in: `a=b\x`, wantErr: `invalid escape sequence: \x`},
		{in: `a=b\`, wantErr: `invalid escape sequence: \ at end of value`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := Parse(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, sel.String())
			require.Equal(t, tc.want == "", sel.Empty())
			if tc.reqs != nil {
				require.Equal(t, tc.reqs, sel.Requirements())
			}
			again, err := Parse(sel.String())
			require.NoError(t, err)
			require.Equal(t, sel.String(), again.String())
		})
	}
}

func TestEscapeValue(t *testing.T) {
	tests := []struct{ raw, escaped string }{
		{"", ""},
		{"plain", "plain"},
		{"a,b", `a\,b`},
		{"a=b", `a\=b`},
		{`a\b`, `a\\b`},
		{`\,=`, `\\\,\=`},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			require.Equal(t, tc.escaped, EscapeValue(tc.raw))
			back, err := UnescapeValue(tc.escaped)
			require.NoError(t, err)
			require.Equal(t, tc.raw, back)
		})
	}
}

func TestUnescapeValueErrors(t *testing.T) {
	for _, in := range []string{"a,b", "a=b", `a\b`, `a\`} {
		t.Run(in, func(t *testing.T) {
			_, err := UnescapeValue(in)
			require.ErrorIs(t, err, ErrInvalidValue)
		})
	}
}
