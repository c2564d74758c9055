package labels

import (
	"testing"

	"github.com/stretchr/testify/require"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestFromLabelSelector(t *testing.T) {
	tests := []struct {
		name    string
		in      *metav1.LabelSelector
		want    string
		nothing bool
		wantErr string
	}{
		{name: "nil selects nothing", in: nil, nothing: true},
		{name: "empty selects everything", in: &metav1.LabelSelector{}, want: ""},
		{name: "match labels", in: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "fe"}}, want: "app=web,tier=fe"},
		{
			name: "every operator",
			in: &metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "web"},
				MatchExpressions: []*metav1.LabelSelectorRequirement{
					{Key: "tier", Operator: "In", Values: []string{"fe", "be"}},
					{Key: "env", Operator: "NotIn", Values: []string{"dev"}},
					{Key: "team", Operator: "Exists"},
					{Key: "canary", Operator: "DoesNotExist"},
				},
			},
			want: "app=web,!canary,env notin (dev),team,tier in (be,fe)",
		},
		{
			name:    "unknown operator",
			in:      &metav1.LabelSelector{MatchExpressions: []*metav1.LabelSelectorRequirement{{Key: "a", Operator: "Gt", Values: []string{"1"}}}},
			wantErr: `matchExpressions[0]: "Gt" is not a valid label selector operator`,
		},
		{
			name:    "in without values",
			in:      &metav1.LabelSelector{MatchExpressions: []*metav1.LabelSelectorRequirement{{Key: "a", Operator: "In"}}},
			wantErr: "matchExpressions[0]: values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
		},
		{
			name:    "bad match label key",
			in:      &metav1.LabelSelector{MatchLabels: map[string]string{"bad key": "x"}},
			wantErr: `matchLabels[bad key]: key: Invalid value: "bad key"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := FromLabelSelector(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.nothing {
				require.False(t, sel.Matches(Set{}))
				_, selectable := sel.Requirements()
				require.False(t, selectable)
				return
			}
			require.Equal(t, tc.want, sel.String())
			parsed, err := Parse(tc.want)
			require.NoError(t, err)
			require.Equal(t, parsed.String(), sel.String())
		})
	}
}

func TestFromLabelSelectorMatches(t *testing.T) {
	sel, err := FromLabelSelector(&metav1.LabelSelector{
		MatchLabels:      map[string]string{"app": "web"},
		MatchExpressions: []*metav1.LabelSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"fe"}}},
	})
	require.NoError(t, err)
	require.True(t, sel.Matches(Set{"app": "web", "tier": "fe", "x": "y"}))
	require.False(t, sel.Matches(Set{"app": "web"}))
}
