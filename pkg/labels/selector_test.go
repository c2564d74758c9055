package labels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatches(t *testing.T) {
	web := Set{"app": "web", "tier": "frontend", "version": "3"}
	tests := []struct {
		selector string
		labels   Set
		want     bool
	}{
		{"", web, true},
		{"", nil, true},
		{"app", web, true},
		{"app", Set{}, false},
		{"!app", web, false},
		{"!canary", web, true},
		{"app=web", web, true},
		{"app==web", web, true},
		{"app=db", web, false},
		{"app=web", Set{}, false},
		{"app!=db", web, true},
		{"app!=web", web, false},
		{"app!=web", Set{}, true},
		{"tier in (frontend,backend)", web, true},
		{"tier in (backend)", web, false},
		{"tier in (backend)", Set{}, false},
		{"tier notin (backend)", web, true},
		{"tier notin (frontend)", web, false},
		{"tier notin (frontend)", Set{}, true},
		{"x in ()", Set{"x": ""}, true},
		{"x in ()", Set{"x": "y"}, false},
		{"x=", Set{"x": ""}, true},
		{"x=", Set{}, false},
		{"version>2", web, true},
		{"version>3", web, false},
		{"version<4", web, true},
		{"version<3", web, false},
		{"version>2", Set{}, false},
		{"version>2", Set{"version": "three"}, false},
		{"version<2", Set{"version": "three"}, false},
		{"app=web,tier=frontend", web, true},
		{"app=web,tier=backend", web, false},
		{"app=web,tier in (frontend),!canary,version>1", web, true},
	}
	for _, tc := range tests {
		t.Run(tc.selector+"/"+tc.labels.String(), func(t *testing.T) {
			sel, err := Parse(tc.selector)
			require.NoError(t, err)
			require.Equal(t, tc.want, sel.Matches(tc.labels))
		})
	}
}

func TestEverythingAndNothing(t *testing.T) {
	tests := []struct {
		name       string
		sel        Selector
		matches    bool
		empty      bool
		selectable bool
	}{
		{"everything", Everything(), true, true, true},
		{"nothing", Nothing(), false, false, false},
		{"nothing with more requirements", Nothing().Add(mustRequirement(t, "a", Exists, nil)), false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.matches, tc.sel.Matches(Set{"a": "b"}))
			require.Equal(t, tc.matches, tc.sel.Matches(Set{}))
			require.Equal(t, tc.empty, tc.sel.Empty())
			require.Equal(t, "", tc.sel.String())
			reqs, selectable := tc.sel.Requirements()
			require.Empty(t, reqs)
			require.Equal(t, tc.selectable, selectable)
			_, found := tc.sel.RequiresExactMatch("a")
			require.False(t, found)
		})
	}
}

func mustRequirement(t *testing.T, key string, op Operator, values []string) Requirement {
	t.Helper()
	r, err := NewRequirement(key, op, values)
	require.NoError(t, err)
	return r
}

func TestNewRequirement(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		op      Operator
		values  []string
		wantErr string
	}{
		{name: "in", key: "a", op: In, values: []string{"x", "y"}},
		{name: "in with empty value", key: "a", op: In, values: []string{""}},
		{name: "exists", key: "a", op: Exists},
		{name: "gt", key: "a", op: GreaterThan, values: []string{"5"}},
		{name: "in without values", key: "a", op: In, wantErr: "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"},
		{name: "equals with two values", key: "a", op: Equals, values: []string{"x", "y"}, wantErr: `values: Invalid value: ["x","y"]: exact-match compatibility requires one single value`},
		{name: "exists with values", key: "a", op: Exists, values: []string{"x"}, wantErr: "values set must be empty for exists and does not exist"},
		{name: "lt with two values", key: "a", op: LessThan, values: []string{"1", "2"}, wantErr: "exactly one value is required"},
		{name: "unknown operator", key: "a", op: "like", values: []string{"x"}, wantErr: `operator: Unsupported value: "like": supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`},
		{name: "bad key and value together", key: "a b", op: Equals, values: []string{"c d"}, wantErr: `[key: Invalid value: "a b"`},
		{name: "empty key", key: "", op: Exists, wantErr: `key: Invalid value: "": name part must be non-empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRequirement(tc.key, tc.op, tc.values)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.key, r.Key())
			require.Equal(t, tc.op, r.Operator())
		})
	}
}

func TestRequirementValuesAreCopied(t *testing.T) {
	in := []string{"b", "a"}
	r := mustRequirement(t, "k", In, in)
	require.Equal(t, []string{"b", "a"}, in, "the caller's slice is not reordered")
	got := r.Values()
	got[0] = "changed"
	require.Equal(t, []string{"a", "b"}, r.Values())
	require.True(t, r.Equal(mustRequirement(t, "k", In, []string{"a", "b", "a"})))
	require.False(t, r.Equal(mustRequirement(t, "k", NotIn, []string{"a", "b"})))
}

func TestSelectorFromSet(t *testing.T) {
	tests := []struct {
		name    string
		set     Set
		want    string
		wantErr string
	}{
		{name: "nil selects everything", set: nil, want: ""},
		{name: "sorted by key", set: Set{"b": "2", "a": "1"}, want: "a=1,b=2"},
		{name: "invalid value", set: Set{"a": "not valid"}, wantErr: `values[0]: Invalid value: "not valid"`},
		{name: "invalid key", set: Set{"-a": "1"}, wantErr: `key: Invalid value: "-a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := ValidatedSelectorFromSet(tc.set)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.False(t, SelectorFromSet(tc.set).Empty(), "the unvalidated form still restricts")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, sel.String())
			require.Equal(t, tc.want, SelectorFromSet(tc.set).String())
			require.Equal(t, tc.want, tc.set.AsSelector().String())
			require.True(t, sel.Matches(tc.set))
		})
	}
}

func TestRequiresExactMatch(t *testing.T) {
	tests := []struct {
		selector string
		label    string
		want     string
		found    bool
	}{
		{"metadata.name=web", "metadata.name", "web", true},
		{"a==x", "a", "x", true},
		{"a in (x)", "a", "x", true},
		{"a in (x,y)", "a", "", false},
		{"a!=x", "a", "", false},
		{"a!=y,a=x", "a", "x", true},
		{"b=x", "a", "", false},
		{"a", "a", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.selector, func(t *testing.T) {
			sel, err := Parse(tc.selector)
			require.NoError(t, err)
			got, found := sel.RequiresExactMatch(tc.label)
			require.Equal(t, tc.found, found)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAddReturnsANewSelector(t *testing.T) {
	base, err := Parse("b=1")
	require.NoError(t, err)
	more := base.Add(mustRequirement(t, "a", Exists, nil))
	require.Equal(t, "b=1", base.String())
	require.Equal(t, "a,b=1", more.String())
	require.True(t, more.Matches(Set{"a": "", "b": "1"}))
	require.False(t, more.Matches(Set{"b": "1"}))
}

func TestSetString(t *testing.T) {
	require.Equal(t, "", Set{}.String())
	require.Equal(t, "a=1,b=", Set{"b": "", "a": "1"}.String())
	require.True(t, Set{"a": ""}.Has("a"))
	require.False(t, Set{}.Has("a"))
	require.Equal(t, "1", Set{"a": "1"}.Get("a"))
}
