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
	"github.com/keelson-dev/keelson/pkg/pki"
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

func TestAuthenticatePresentedCertificates(t *testing.T) {
	ca, err := pki.NewCA("cluster-ca", 0)
	require.NoError(t, err)
	other, err := pki.NewCA("other-ca", 0)
	require.NoError(t, err)
	issue := func(ca *pki.CA, spec pki.CertSpec) *x509.Certificate {
		kp, err := ca.Issue(spec)
		require.NoError(t, err)
		return kp.Cert
	}
	alice := issue(ca, pki.ClientSpec("alice", "team-a"))
	mallory := issue(other, pki.ClientSpec("mallory"))
	serving := issue(ca, pki.ServingSpec("apiserver", []string{"localhost"}, nil))
	issued := time.Now()
	tests := []struct {
		name    string
		roots   *x509.CertPool
		peer    []*x509.Certificate
		at      time.Time
		want    *user.Info
		wantErr error
		msg     string
	}{
		{"signed by the client CA", ca.Pool(), []*x509.Certificate{alice}, issued,
			&user.Info{Name: "alice", Groups: []string{"team-a"}}, nil, ""},
		{"no client CA configured: not its kind", nil, []*x509.Certificate{alice}, issued, nil, nil, ""},
		{"no certificate", ca.Pool(), nil, issued, nil, nil, ""},
		{"another CA", ca.Pool(), []*x509.Certificate{mallory}, issued, nil, clientcert.ErrUnknownAuthority,
			`the client certificate CN="mallory" (issuer CN="other-ca", valid ` + mallory.NotBefore.UTC().Format(time.RFC3339) +
				" to " + mallory.NotAfter.UTC().Format(time.RFC3339) + `) is not signed by a CA of the apiserver's --client-ca-file: use a certificate that the cluster CA signed`},
		{"expired", ca.Pool(), []*x509.Certificate{alice}, alice.NotAfter.Add(time.Minute), nil, clientcert.ErrExpired,
			`the client certificate CN="alice" O=["team-a"] (issuer CN="cluster-ca", valid ` + alice.NotBefore.UTC().Format(time.RFC3339) +
				" to " + alice.NotAfter.UTC().Format(time.RFC3339) + ") has expired (the apiserver's time is " +
				alice.NotAfter.Add(time.Minute).UTC().Format(time.RFC3339) + "): renew the certificate"},
		{"not for client authentication", ca.Pool(), []*x509.Certificate{serving}, issued, nil, clientcert.ErrInvalid, "incompatible key usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := clientcert.Authenticator{Roots: tt.roots, Clock: clock.NewFake(tt.at)}
			u, ok, err := a.Authenticate(context.Background(), &authn.Request{PeerCertificates: tt.peer})
			require.ErrorIs(t, err, tt.wantErr)
			if tt.msg != "" {
				require.ErrorContains(t, err, tt.msg)
			}
			require.Equal(t, tt.want != nil, ok)
			require.Equal(t, tt.want, u)
		})
	}
}
