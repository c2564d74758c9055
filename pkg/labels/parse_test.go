package labels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical String, when valid
		wantErr string // substring of the error, when invalid
	}{
		{in: "", want: ""},
		{in: "a", want: "a"},
		{in: "!a", want: "!a"},
		{in: "a=b", want: "a=b"},
		{in: "a==b", want: "a==b"},
		{in: "a!=b", want: "a!=b"},
		{in: "a in (y,x)", want: "a in (x,y)"},
		{in: "a in (x,x)", want: "a in (x)"},
		{in: "a notin (x)", want: "a notin (x)"},
		{in: "a in ()", want: "a in ()"},
		{in: "a in (x,,y)", want: "a in (,x,y)"},
		{in: "a in (x,)", want: "a in (,x)"},
		{in: "a in(b)", want: "a in (b)"},
		{in: "a>1", want: "a>1"},
		{in: "a<10", want: "a<10"},
		{in: "b=1,a=2", want: "a=2,b=1"},
		{in: "  a = b ,\tc  ", want: "a=b,c"},
		{in: "x=", want: "x="},
		{in: "x=,y", want: "x=,y"},
		{in: "example.com/app=web", want: "example.com/app=web"},
		{in: "in=notin", want: "in=notin"},
		{in: "a in (in,notin)", want: "a in (in,notin)"},
		{in: "a=b,a!=c", want: "a!=c,a=b"},
		{in: "app=web,tier in (frontend,cache),!canary", want: "app=web,!canary,tier in (cache,frontend)"},

		{in: "a in b", wantErr: `invalid label selector "a in b": found 'b', expected: '('`},
		{in: "a=b c", wantErr: "found 'c', expected: ',' or 'end of string'"},
		{in: "a,", wantErr: "found 'end of string', expected: identifier after ','"},
		{in: ",a", wantErr: "found ',', expected: identifier"},
		{in: "a=(b)", wantErr: "found '(', expected: identifier"},
		{in: "a in (b c)", wantErr: "found 'c', expected: ',' or ')'"},
		{in: "a in (b", wantErr: "found 'end of string', expected: ',', ')' or identifier"},
		{in: "a in (=)", wantErr: "found '=', expected: ',', ')' or identifier"},
		{in: "!a=b", wantErr: "found '=', expected: ',' or 'end of string'"},
		{in: "!", wantErr: "found 'end of string', expected: identifier"},
		{in: "a b", wantErr: "found 'b', expected: in, notin, =, ==, !=, gt, lt"},
		{in: "a>=1", wantErr: "found '=', expected: identifier"},
		{in: "-a=b", wantErr: `unable to parse requirement: key: Invalid value: "-a": name part must consist of`},
		{in: "a/b/c", wantErr: `key: Invalid value: "a/b/c"`},
		{in: "a=-b", wantErr: `values[0]: Invalid value: "-b": a valid label must be`},
		{in: "a in (ok,bad!)", wantErr: "found '!', expected: ',', ')' or identifier"},
		{in: "a>b", wantErr: `values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`},
		{in: "a<-1", wantErr: `Invalid value: "-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			sel, err := Parse(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Nil(t, sel)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, sel.String())
			require.Equal(t, tc.want == "", sel.Empty())

			again, err := Parse(sel.String())
			require.NoError(t, err, "String output parses")
			require.Equal(t, tc.want, again.String())
		})
	}
}

func TestParsedRequirements(t *testing.T) {
	sel, err := Parse("tier in (web,cache),!canary,version>2")
	require.NoError(t, err)
	reqs, selectable := sel.Requirements()
	require.True(t, selectable)
	require.Len(t, reqs, 3)
	want := []struct {
		key    string
		op     Operator
		values []string
	}{
		{"canary", DoesNotExist, nil},
		{"tier", In, []string{"cache", "web"}},
		{"version", GreaterThan, []string{"2"}},
	}
	for i, w := range want {
		require.Equal(t, w.key, reqs[i].Key())
		require.Equal(t, w.op, reqs[i].Operator())
		require.Equal(t, w.values, reqs[i].Values())
	}
}
