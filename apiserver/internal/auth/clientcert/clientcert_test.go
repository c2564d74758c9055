package clientcert_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/clientcert"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// now is the time of every request in these tests.
var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// cert is a certificate valid for an hour either side of now.
func cert(cn string, orgs ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
}

// validity returns c valid from notBefore to notAfter.
func validity(c *x509.Certificate, notBefore, notAfter time.Time) *x509.Certificate {
	c.NotBefore, c.NotAfter = notBefore, notAfter
	return c
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
		{"expired", [][]*x509.Certificate{{validity(cert("system:node:n1", "system:nodes"), now.Add(-time.Hour), now.Add(-time.Second)), ca}},
			nil, clientcert.ErrExpired},
		{"not yet valid", [][]*x509.Certificate{{validity(cert("system:node:n1", "system:nodes"), now.Add(time.Second), now.Add(time.Hour)), ca}},
			nil, clientcert.ErrExpired},
		{"expired CA", [][]*x509.Certificate{{cert("system:node:n1", "system:nodes"), validity(cert("keelson-ca"), now.Add(-time.Hour), now.Add(-time.Minute))}},
			nil, clientcert.ErrExpired},
		{"at the last instant", [][]*x509.Certificate{{validity(cert("system:node:n1", "system:nodes"), now.Add(-time.Hour), now), ca}},
			&user.Info{Name: "system:node:n1", Groups: []string{"system:nodes"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok, err := clientcert.Authenticator{Clock: clock.NewFake(now)}.Authenticate(context.Background(), &authn.Request{VerifiedChains: tt.chains})
			require.ErrorIs(t, err, tt.wantErr)
			require.Equal(t, tt.want != nil, ok)
			require.Equal(t, tt.want, u)
		})
	}
}
