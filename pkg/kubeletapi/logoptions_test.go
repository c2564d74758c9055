package kubeletapi_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

func num(n int64) *int64 { return &n }

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// requireSameOptions compares options field by field, times by the instant they name.
func requireSameOptions(t *testing.T, want, got *kubeletapi.LogOptions) {
	t.Helper()
	require.Equal(t, want.Follow, got.Follow, "follow")
	require.Equal(t, want.Previous, got.Previous, "previous")
	require.Equal(t, want.Timestamps, got.Timestamps, "timestamps")
	require.Equal(t, want.TailLines, got.TailLines, "tailLines")
	require.Equal(t, want.LimitBytes, got.LimitBytes, "limitBytes")
	require.Equal(t, want.SinceSeconds, got.SinceSeconds, "sinceSeconds")
	require.Equal(t, want.SinceTime == nil, got.SinceTime == nil, "sinceTime set")
	if want.SinceTime != nil {
		require.True(t, want.SinceTime.Equal(*got.SinceTime), "sinceTime %s, got %s", want.SinceTime, got.SinceTime)
	}
}

func TestLogOptionsRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		opts  kubeletapi.LogOptions
		query string
	}{
		{name: "nothing", query: ""},
		{name: "booleans", opts: kubeletapi.LogOptions{Follow: true, Previous: true, Timestamps: true},
			query: "follow=true&previous=true&timestamps=true"},
		{name: "numbers", opts: kubeletapi.LogOptions{TailLines: num(2), LimitBytes: num(100), SinceSeconds: num(30)},
			query: "limitBytes=100&sinceSeconds=30&tailLines=2"},
		{name: "zero tail lines is not absent", opts: kubeletapi.LogOptions{TailLines: num(0)}, query: "tailLines=0"},
		{name: "sinceTime in UTC", opts: kubeletapi.LogOptions{SinceTime: at("2024-05-01T10:00:00Z")},
			query: "sinceTime=2024-05-01T10%3A00%3A00Z"},
		{name: "sinceTime keeps its offset", opts: kubeletapi.LogOptions{SinceTime: at("2024-05-01T12:00:00+02:00")},
			query: "sinceTime=2024-05-01T12%3A00%3A00%2B02%3A00"},
		{name: "everything", opts: kubeletapi.LogOptions{Follow: true, Timestamps: true, TailLines: num(10), LimitBytes: num(1 << 20), SinceSeconds: num(3600)},
			query: "follow=true&limitBytes=1048576&sinceSeconds=3600&tailLines=10&timestamps=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.opts.Query()
			require.Equal(t, tt.query, q.Encode())
			// What one side encodes, the other decodes unchanged, through the wire form too.
			wire, err := url.ParseQuery(q.Encode())
			require.NoError(t, err)
			got, err := kubeletapi.ParseLogOptions(wire)
			require.NoError(t, err)
			requireSameOptions(t, &tt.opts, got)
			require.Equal(t, tt.query, got.Query().Encode())
		})
	}
}

func TestParseLogOptionsReadsBooleansStrictly(t *testing.T) {
	tests := []struct {
		query string
		want  kubeletapi.LogOptions
	}{
		{query: "follow=true", want: kubeletapi.LogOptions{Follow: true}},
		{query: "follow=", want: kubeletapi.LogOptions{}},
		{query: "follow=t&timestamps=True", want: kubeletapi.LogOptions{Follow: true, Timestamps: true}},
		{query: "follow=1&previous=TRUE", want: kubeletapi.LogOptions{Follow: true, Previous: true}},
		{query: "follow=0&previous=false&timestamps=FALSE"},
		{query: "container=c&insecureSkipTLSVerifyBackend=true", want: kubeletapi.LogOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			got, err := kubeletapi.ParseLogOptions(q)
			require.NoError(t, err)
			requireSameOptions(t, &tt.want, got)
		})
	}
}

func TestParseLogOptionsErrors(t *testing.T) {
	tests := []struct {
		name  string
		query string
		// param is set for a value that cannot be read; fields for values out of range.
		param  string
		fields []string
		msg    string
	}{
		{name: "follow not a boolean", query: "follow=yes", param: "follow",
			msg: `invalid value "yes" for follow: must be a boolean (true or false)`},
		{name: "previous not a boolean", query: "previous=maybe", param: "previous",
			msg: `invalid value "maybe" for previous`},
		{name: "timestamps not a boolean", query: "timestamps=2", param: "timestamps",
			msg: `invalid value "2" for timestamps`},
		{name: "tailLines not a number", query: "tailLines=abc", param: "tailLines",
			msg: `invalid value "abc" for tailLines: must be an integer`},
		{name: "limitBytes empty", query: "limitBytes=", param: "limitBytes",
			msg: `invalid value "" for limitBytes: must be an integer`},
		{name: "sinceSeconds a fraction", query: "sinceSeconds=1.5", param: "sinceSeconds",
			msg: `invalid value "1.5" for sinceSeconds: must be an integer`},
		{name: "the first bad number is named", query: "sinceSeconds=x&tailLines=y", param: "tailLines",
			msg: `invalid value "y" for tailLines`},
		{name: "sinceTime not a time", query: "sinceTime=yesterday", param: "sinceTime",
			msg: `invalid value "yesterday" for sinceTime: must be an RFC 3339 time`},
		{name: "negative tailLines", query: "tailLines=-1", fields: []string{"tailLines"},
			msg: "tailLines: Invalid value: -1: must be greater than or equal to 0"},
		{name: "limitBytes below 1", query: "limitBytes=0", fields: []string{"limitBytes"},
			msg: "limitBytes: Invalid value: 0: must be greater than 0"},
		{name: "sinceSeconds below 1", query: "sinceSeconds=0", fields: []string{"sinceSeconds"},
			msg: "sinceSeconds: Invalid value: 0: must be greater than 0"},
		{name: "sinceSeconds and sinceTime", query: "sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z", fields: []string{""},
			msg: "at most one of `sinceTime` or `sinceSeconds` may be specified"},
		{name: "every bad value is named", query: "tailLines=-1&limitBytes=-1&sinceSeconds=-1", fields: []string{"tailLines", "limitBytes", "sinceSeconds"},
			msg: "tailLines: Invalid value: -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			_, err = kubeletapi.ParseLogOptions(q)
			require.ErrorContains(t, err, tt.msg)
			var pe *kubeletapi.ParamError
			var agg *field.AggregateError
			if tt.param != "" {
				require.True(t, errors.As(err, &pe), "a *ParamError, got %T", err)
				require.Equal(t, tt.param, pe.Param)
				require.False(t, errors.As(err, &agg))
				return
			}
			require.True(t, errors.As(err, &agg), "a *field.AggregateError, got %T", err)
			var fields []string
			for _, e := range agg.Errs {
				fields = append(fields, e.Field)
			}
			require.Equal(t, tt.fields, fields)
		})
	}
}
