package fields

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatches(t *testing.T) {
	pod := Set{"metadata.name": "web", "metadata.namespace": "default", "spec.nodeName": "", "status.phase": "Running"}
	tests := []struct {
		selector string
		want     bool
	}{
		{"", true},
		{"metadata.name=web", true},
		{"metadata.name==web", true},
		{"metadata.name=db", false},
		{"metadata.name!=db", true},
		{"metadata.name!=web", false},
		{"spec.nodeName=", true},
		{"spec.nodeName!=", false},
		{"metadata.name=web,status.phase=Running", true},
		{"metadata.name=web,status.phase!=Running", false},
		{"absent=", true},
		{"absent!=x", true},
		{"absent=x", false},
	}
	for _, tc := range tests {
		t.Run(tc.selector, func(t *testing.T) {
			sel, err := Parse(tc.selector)
			require.NoError(t, err)
			require.Equal(t, tc.want, sel.Matches(pod))
		})
	}
}

func TestRequiresExactMatch(t *testing.T) {
	tests := []struct {
		selector string
		field    string
		want     string
		found    bool
	}{
		{"metadata.name=web", "metadata.name", "web", true},
		{"metadata.name==web,status.phase=Running", "metadata.name", "web", true},
		{"metadata.name!=web", "metadata.name", "", false},
		{"status.phase=Running", "metadata.name", "", false},
		{"", "metadata.name", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.selector, func(t *testing.T) {
			sel, err := Parse(tc.selector)
			require.NoError(t, err)
			got, found := sel.RequiresExactMatch(tc.field)
			require.Equal(t, tc.found, found)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSupported(t *testing.T) {
	podFields := Supported("metadata.name", "metadata.namespace", "spec.nodeName", "status.phase")
	tests := []struct {
		selector string
		wantErr  string
	}{
		{selector: ""},
		{selector: "metadata.name=web,spec.nodeName=n1"},
		{selector: "spec.foo=bar", wantErr: "field label not supported: spec.foo"},
		{selector: "metadata.name=web,spec.foo!=bar", wantErr: "field label not supported: spec.foo"},
	}
	for _, tc := range tests {
		t.Run(tc.selector, func(t *testing.T) {
			sel, err := ParseAndTransform(tc.selector, podFields)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				require.ErrorIs(t, err, ErrUnsupportedField)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.selector, sel.String())
		})
	}
	_, err := ParseAndTransform("a", podFields)
	require.ErrorContains(t, err, "can't understand")
}

func TestTransform(t *testing.T) {
	sel, err := Parse("host=n1,status.phase=Running,ignored=x")
	require.NoError(t, err)
	out, err := sel.Transform(func(field, value string) (string, string, error) {
		switch field {
		case "host":
			return "spec.nodeName", value, nil
		case "ignored":
			return "", "", nil
		}
		return field, strings.ToLower(value), nil
	})
	require.NoError(t, err)
	require.Equal(t, "spec.nodeName=n1,status.phase=running", out.String())
	require.Equal(t, "host=n1,ignored=x,status.phase=Running", sel.String(), "the original is unchanged")

	boom := errors.New("boom")
	_, err = sel.Transform(func(string, string) (string, string, error) { return "", "", boom })
	require.ErrorIs(t, err, boom)
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		sel  Selector
		want string
	}{
		{"everything", Everything(), ""},
		{"one term equal", OneTermEqualSelector("metadata.name", "a,b"), `metadata.name=a\,b`},
		{"one term not equal", OneTermNotEqualSelector("status.phase", "Failed"), "status.phase!=Failed"},
		{"from set", SelectorFromSet(Set{"b": "2", "a": "1"}), "a=1,b=2"},
		{"set as selector", Set{"a": "="}.AsSelector(), `a=\=`},
		{"and", AndSelectors(OneTermEqualSelector("b", "2"), OneTermNotEqualSelector("a", "1")), "a!=1,b=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.sel.String())
			again, err := Parse(tc.want)
			require.NoError(t, err)
			require.Equal(t, tc.sel.Requirements(), again.Requirements())
		})
	}
	require.Equal(t, `a=x\,y,b=`, Set{"b": "", "a": "x,y"}.String())
	require.True(t, Set{"a": ""}.Has("a"))
	require.False(t, Set{}.Has("a"))
}
