package rest

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

func TestQueryBool(t *testing.T) {
	tests := []struct {
		query   string
		want    bool
		wantErr bool
	}{
		{query: "", want: false},
		{query: "watch=", want: false},
		{query: "watch=1", want: true},
		{query: "watch=t", want: true},
		{query: "watch=T", want: true},
		{query: "watch=true", want: true},
		{query: "watch=True", want: true},
		{query: "watch=TRUE", want: true},
		{query: "watch=0", want: false},
		{query: "watch=f", want: false},
		{query: "watch=F", want: false},
		{query: "watch=false", want: false},
		{query: "watch=False", want: false},
		{query: "watch=FALSE", want: false},
		{query: "watch=bogus", wantErr: true},
		{query: "watch=yes", wantErr: true},
		{query: "watch=tRuE", wantErr: true},
		{query: "watch=2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			got, err := queryBool(q, "watch")
			if tt.wantErr {
				require.True(t, apierrors.IsBadRequest(err), "%v", err)
				require.ErrorContains(t, err, "watch")
				require.ErrorContains(t, err, q.Get("watch"))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
