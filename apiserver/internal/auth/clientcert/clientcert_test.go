package clientcert_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/clientcert"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

func cert(cn string, orgs ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: orgs}}
}

func TestAuthenticate(t *testing.T) {
	ca := cert("keelson-ca")
	tests := []struct {
		name    string
		chains  [][]*x509.Certificate
		want    *user.Info
		wantErr error
	}{
		{"no certificate", nil, nil, nil},
		{"empty chain", [][]*x509.Certificate{{}}, nil, nil},
		{"admin", [][]*x509.Certificate{{cert("keelson-admin", "system:masters"), ca}},
			&user.Info{Name: "keelson-admin", Groups: []string{"system:masters"}}, nil},
		{"kubelet", [][]*x509.Certificate{{cert("system:node:n1", "system:nodes"), ca}},
			&user.Info{Name: "system:node:n1", Groups: []string{"system:nodes"}}, nil},
		{"first chain decides", [][]*x509.Certificate{{cert("first"), ca}, {cert("second", "g")}},
			&user.Info{Name: "first"}, nil},
		{"no common name", [][]*x509.Certificate{{cert("", "system:masters"), ca}}, nil, clientcert.ErrNoCommonName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok, err := clientcert.Authenticator{}.Authenticate(context.Background(), &authn.Request{VerifiedChains: tt.chains})
			require.ErrorIs(t, err, tt.wantErr)
			require.Equal(t, tt.want != nil, ok)
			require.Equal(t, tt.want, u)
		})
	}
}
