package serviceaccount

import (
	"crypto"
	"crypto/elliptic"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBoundRoundTrip(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	s, err := NewSigner(key)
	require.NoError(t, err)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	claims := NewBoundClaims(BoundToken{
		Issuer: "https://keelson.local", Audiences: []string{"api"}, Namespace: "team",
		ServiceAccount: ObjectRef{Name: "builder", UID: "sa-uid"}, Pod: &ObjectRef{Name: "web", UID: "pod-uid"},
		IssuedAt: now, Expiration: time.Hour,
	})
	tok, err := s.SignBound(claims)
	require.NoError(t, err)

	_, payload := decodeParts(t, tok)
	require.Equal(t, "https://keelson.local", payload["iss"])
	require.Equal(t, "system:serviceaccount:team:builder", payload["sub"])
	require.Equal(t, "api", payload["aud"], "one audience is written as a string, which JWT allows")
	require.InDelta(t, float64(now.Add(time.Hour).Unix()), payload["exp"], 0)
	require.InDelta(t, float64(now.Unix()), payload["nbf"], 0)
	require.NotEmpty(t, payload["jti"])
	require.Equal(t, map[string]any{
		"namespace":      "team",
		"serviceaccount": map[string]any{"name": "builder", "uid": "sa-uid"},
		"pod":            map[string]any{"name": "web", "uid": "pod-uid"},
	}, payload["kubernetes.io"])
	iss, ok := PeekIssuer(tok)
	require.True(t, ok)
	require.Equal(t, "https://keelson.local", iss)

	want := Expected{Issuers: []string{"other", "https://keelson.local"}, Audiences: []string{"x", "api"}, Now: now.Add(time.Minute)}
	got, err := VerifyBound(tok, want, key.Public())
	require.NoError(t, err)
	require.Equal(t, claims.Kubernetes, got.Kubernetes)

	tests := []struct {
		name    string
		want    Expected
		keys    []crypto.PublicKey
		expired bool
		msg     string
	}{
		{"expired", Expected{Issuers: want.Issuers, Audiences: want.Audiences, Now: now.Add(2 * time.Hour)}, []crypto.PublicKey{key.Public()}, true, "expired"},
		{"not valid yet", Expected{Issuers: want.Issuers, Audiences: want.Audiences, Now: now.Add(-time.Hour)}, []crypto.PublicKey{key.Public()}, false, "not valid yet"},
		{"other audience", Expected{Issuers: want.Issuers, Audiences: []string{"elsewhere"}, Now: want.Now}, []crypto.PublicKey{key.Public()}, false, "audiences"},
		{"other issuer", Expected{Issuers: []string{"other"}, Audiences: want.Audiences, Now: want.Now}, []crypto.PublicKey{key.Public()}, false, "issuer"},
		{"wrong key", want, []crypto.PublicKey{ecKey(t, elliptic.P256()).Public()}, false, "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyBound(tok, tt.want, tt.keys...)
			require.ErrorIs(t, err, ErrInvalidToken)
			require.Equal(t, tt.expired, errors.Is(err, ErrExpired))
			require.Contains(t, err.Error(), tt.msg)
			var exp *ExpiredError
			if require.Equal(t, tt.expired, errors.As(err, &exp)); tt.expired {
				require.True(t, exp.Expiry.Equal(claims.Expiry.Time()), "exp %s, want the token's %s", exp.Expiry, claims.Expiry.Time())
				require.Contains(t, err.Error(), "(exp "+claims.Expiry.Time().UTC().Format(time.RFC3339)+")")
			}
		})
	}
}

func TestVerifyBoundChecksClaims(t *testing.T) {
	key := rsaKey(t)
	s, err := NewSigner(key)
	require.NoError(t, err)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	base := func() BoundClaims {
		return NewBoundClaims(BoundToken{
			Issuer: "iss", Audiences: []string{"api"}, Namespace: "ns",
			ServiceAccount: ObjectRef{Name: "sa", UID: "u"}, IssuedAt: now, Expiration: time.Hour,
		})
	}
	tests := []struct {
		name   string
		mutate func(*BoundClaims)
	}{
		{"no expiry", func(c *BoundClaims) { c.Expiry = nil }},
		{"no namespace", func(c *BoundClaims) { c.Kubernetes.Namespace = "" }},
		{"no account uid", func(c *BoundClaims) { c.Kubernetes.ServiceAccount.UID = "" }},
		{"subject of another account", func(c *BoundClaims) { c.Subject = Username("kube-system", "admin") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(&c)
			tok, err := s.SignBound(c)
			require.NoError(t, err)
			_, err = VerifyBound(tok, Expected{Issuers: []string{"iss"}, Audiences: []string{"api"}, Now: now}, key.Public())
			require.ErrorIs(t, err, ErrInvalidToken)
		})
	}
	for _, bad := range []string{"", "abc", "a.b.c", strings.Repeat(".", 5)} {
		_, ok := PeekIssuer(bad)
		require.False(t, ok, bad)
		_, err := VerifyBound(bad, Expected{Issuers: []string{"iss"}}, key.Public())
		require.ErrorIs(t, err, ErrInvalidToken)
	}
}
