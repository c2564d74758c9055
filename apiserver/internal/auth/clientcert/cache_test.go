package clientcert

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// TestCachedChains checks the cache of verified chains, counting the verifications against the
// client CA: a certificate verified once is answered from the cache without verifying it again,
// and the cache still refuses it once it has expired; a certificate the CA did not sign is
// verified on its own, never cached, nor confused with a cached one; the cache never holds more
// than its size.
func TestCachedChains(t *testing.T) {
	ca, err := pki.NewCA("cluster-ca", 0)
	require.NoError(t, err)
	other, err := pki.NewCA("other-ca", 0)
	require.NoError(t, err)
	issue := func(ca *pki.CA, user string) *x509.Certificate {
		kp, err := ca.Issue(pki.ClientSpec(user))
		require.NoError(t, err)
		return kp.Cert
	}
	alice := issue(ca, "alice")
	clk := clock.NewFake(time.Now())
	cache := NewCache(2)
	verified := 0
	a := Authenticator{Roots: ca.Pool(), Clock: clk, Cache: cache, onVerify: func() { verified++ }}
	authenticate := func(c *x509.Certificate) (*user.Info, error) {
		u, _, err := a.Authenticate(context.Background(), &authn.Request{PeerCertificates: []*x509.Certificate{c}})
		return u, err
	}

	u, err := authenticate(alice)
	require.NoError(t, err)
	require.Equal(t, "alice", u.Name)
	require.Equal(t, 1, verified, "a certificate seen for the first time is verified")
	require.Equal(t, 1, cache.Len(), "the verified chain is kept")
	u, err = authenticate(alice)
	require.NoError(t, err)
	require.Equal(t, "alice", u.Name)
	require.Equal(t, 1, verified, "the second request is answered from the cache, verifying nothing")

	_, err = authenticate(issue(other, "alice"))
	require.ErrorIs(t, err, ErrUnknownAuthority, "another CA's certificate for the same user is verified on its own")
	require.Equal(t, 2, verified, "another CA's certificate for the same user is verified on its own")
	require.Equal(t, 1, cache.Len(), "a refused certificate is not kept")

	issued := clk.Now()
	clk.SetTime(alice.NotAfter.Add(time.Minute))
	_, err = authenticate(alice)
	require.ErrorIs(t, err, ErrExpired, "a cached chain expires with its certificate")
	require.Equal(t, 2, verified, "the expired certificate's chain came from the cache")
	clk.SetTime(issued)

	for i, name := range []string{"bob", "carol", "dave"} {
		_, err := authenticate(issue(ca, name))
		require.NoError(t, err)
		require.Equal(t, 3+i, verified, "%s's certificate is verified", name)
		require.LessOrEqual(t, cache.Len(), 2)
	}
}
