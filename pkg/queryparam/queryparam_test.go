package queryparam_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/queryparam"
)

func TestBool(t *testing.T) {
	tests := []struct {
		query   string
		want    bool
		wantErr bool
	}{
		{query: "", want: false},
		{query: "b=", want: false},
		{query: "b=1", want: true},
		{query: "b=t", want: true},
		{query: "b=T", want: true},
		{query: "b=true", want: true},
		{query: "b=True", want: true},
		{query: "b=TRUE", want: true},
		{query: "b=0", want: false},
		{query: "b=f", want: false},
		{query: "b=F", want: false},
		{query: "b=false", want: false},
		{query: "b=False", want: false},
		{query: "b=FALSE", want: false},
		{query: "b=bogus", wantErr: true},
		{query: "b=yes", wantErr: true},
		{query: "b=tRuE", wantErr: true},
		{query: "b=2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			got, err := queryparam.Bool(q, "b")
			if tt.wantErr {
				var pe *queryparam.Error
				require.True(t, errors.As(err, &pe), "an *Error, got %v", err)
				require.Equal(t, "b", pe.Param)
				require.Equal(t, q.Get("b"), pe.Value)
				require.EqualError(t, err, `invalid value "`+q.Get("b")+`" for b: must be a boolean (true or false)`)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
