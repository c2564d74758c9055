package resource

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func list(t *testing.T, m map[string]string) List {
	t.Helper()
	l, err := ParseList(m)
	require.NoError(t, err)
	return l
}

func TestParseList(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]string
		want    map[string]string
		wantErr []string
	}{
		{name: "nil", in: nil, want: map[string]string{}},
		{name: "canonicalises", in: map[string]string{CPU: "0.5", Memory: "1024Mi", Pods: "110"}, want: map[string]string{CPU: "500m", Memory: "1Gi", Pods: "110"}},
		{name: "names each bad resource", in: map[string]string{CPU: "half", Memory: "1Gi", "nvidia.com/gpu": "1x"}, wantErr: []string{
			`resource "cpu": quantity "half": quantities must match`,
			`resource "nvidia.com/gpu": quantity "1x": quantities must match`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseList(tc.in)
			if tc.wantErr != nil {
				for _, want := range tc.wantErr {
					require.ErrorContains(t, err, want)
				}
				require.ErrorIs(t, err, ErrFormatWrong)
				require.Nil(t, l)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, l.Strings())
		})
	}
}

func TestListArithmetic(t *testing.T) {
	tests := []struct {
		name      string
		a, b      map[string]string
		sum, diff map[string]string
	}{
		{
			name: "same names",
			a:    map[string]string{CPU: "1", Memory: "1Gi"},
			b:    map[string]string{CPU: "250m", Memory: "512Mi"},
			sum:  map[string]string{CPU: "1250m", Memory: "1536Mi"},
			diff: map[string]string{CPU: "750m", Memory: "512Mi"},
		},
		{
			name: "names in one only",
			a:    map[string]string{CPU: "1"},
			b:    map[string]string{Memory: "1Gi"},
			sum:  map[string]string{CPU: "1", Memory: "1Gi"},
			diff: map[string]string{CPU: "1", Memory: "-1Gi"},
		},
		{
			name: "empty",
			a:    nil,
			b:    nil,
			sum:  map[string]string{},
			diff: map[string]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := list(t, tc.a), list(t, tc.b)
			require.Equal(t, tc.sum, a.Add(b).Strings())
			require.Equal(t, tc.diff, a.Sub(b).Strings())
			require.True(t, a.Add(b).Sub(b).Equal(a))
			require.Equal(t, list(t, tc.a).Strings(), a.Strings(), "the receiver is unchanged")
		})
	}
	var nilList List
	require.Equal(t, map[string]string{CPU: "1"}, nilList.Add(List{CPU: MustParse("1")}).Strings())
	require.Equal(t, map[string]string{CPU: "-1"}, nilList.Sub(List{CPU: MustParse("1")}).Strings())
}

func TestListFits(t *testing.T) {
	node := map[string]string{CPU: "4", Memory: "8Gi", Pods: "110"}
	tests := []struct {
		name      string
		request   map[string]string
		exceeding []string
	}{
		{name: "nothing requested", request: nil},
		{name: "fits", request: map[string]string{CPU: "3500m", Memory: "2Gi"}},
		{name: "exactly full", request: map[string]string{CPU: "4", Memory: "8Gi", Pods: "110"}},
		{name: "zero of a missing resource", request: map[string]string{"nvidia.com/gpu": "0"}},
		{name: "too much cpu", request: map[string]string{CPU: "4001m", Memory: "1Gi"}, exceeding: []string{CPU}},
		{name: "too much of both", request: map[string]string{CPU: "5", Memory: "9Gi"}, exceeding: []string{CPU, Memory}},
		{name: "missing resource", request: map[string]string{"nvidia.com/gpu": "1"}, exceeding: []string{"nvidia.com/gpu"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, capacity := list(t, tc.request), list(t, node)
			require.Equal(t, tc.exceeding, req.Exceeding(capacity))
			require.Equal(t, tc.exceeding == nil, req.Fits(capacity))
		})
	}
}

func TestListCmpAndEqual(t *testing.T) {
	a := list(t, map[string]string{CPU: "1", Memory: "1Gi"})
	b := list(t, map[string]string{CPU: "1000m", Memory: "1073741824", Pods: "0"})
	require.True(t, a.Equal(b))
	require.True(t, b.Equal(a))
	require.Zero(t, a.Cmp(b, CPU))
	require.Zero(t, a.Cmp(b, "absent"))
	c := list(t, map[string]string{CPU: "2"})
	require.Equal(t, -1, a.Cmp(c, CPU))
	require.Equal(t, 1, a.Cmp(c, Memory))
	require.False(t, a.Equal(c))
	require.False(t, c.Equal(a))
	require.Equal(t, []string{CPU, Memory, Pods}, b.Names())
	require.True(t, b.Get("absent").IsZero())
}
