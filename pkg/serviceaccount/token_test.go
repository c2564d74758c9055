package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func rsaKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return k
}

func ecKey(t *testing.T, c elliptic.Curve) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	return k
}

// writePEM writes key to a file as PEM of the given encoding and returns its path.
func writePEM(t *testing.T, key crypto.Signer, pkcs8 bool) string {
	t.Helper()
	var block *pem.Block
	switch k := key.(type) {
	case *rsa.PrivateKey:
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		require.NoError(t, err)
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	path := filepath.Join(t.TempDir(), "sa.key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	return path
}

func TestSignVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		key   crypto.Signer
		pkcs8 bool
		alg   string
	}{
		{"RSA PKCS#1", rsaKey(t), false, "RS256"},
		{"RSA PKCS#8", rsaKey(t), true, "RS256"},
		{"ECDSA P-256", ecKey(t, elliptic.P256()), false, "ES256"},
		{"ECDSA P-384 PKCS#8", ecKey(t, elliptic.P384()), true, "ES384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePEM(t, tt.key, tt.pkcs8)
			key, err := ReadPrivateKeyFile(path)
			require.NoError(t, err)
			s, err := NewSigner(key)
			require.NoError(t, err)
			want := NewLegacyClaims("team", "builder", "uid-1", "builder-token-abcde")
			tok, err := s.Sign(want)
			require.NoError(t, err)

			header, payload := decodeParts(t, tok)
			require.Equal(t, tt.alg, header["alg"])
			kid, err := KeyID(key.Public())
			require.NoError(t, err)
			require.Equal(t, kid, header["kid"])
			require.Equal(t, "kubernetes/serviceaccount", payload["iss"])
			require.Equal(t, "system:serviceaccount:team:builder", payload["sub"])
			require.Equal(t, "team", payload["kubernetes.io/serviceaccount/namespace"])
			require.Equal(t, "builder-token-abcde", payload["kubernetes.io/serviceaccount/secret.name"])
			require.Equal(t, "builder", payload["kubernetes.io/serviceaccount/service-account.name"])
			require.Equal(t, "uid-1", payload["kubernetes.io/serviceaccount/service-account.uid"])

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			pubs, err := ParsePublicKeysPEM(data)
			require.NoError(t, err)
			got, err := Verify(tok, append([]crypto.PublicKey{rsaKey(t).Public()}, pubs...)...)
			require.NoError(t, err, "the second key verifies")
			require.Equal(t, want, *got)

			_, err = Verify(tok, ecKey(t, elliptic.P256()).Public(), rsaKey(t).Public())
			require.ErrorIs(t, err, ErrInvalidToken, "another key does not verify")
			parts := strings.Split(tok, ".")
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"kubernetes/serviceaccount","sub":"system:serviceaccount:kube-system:admin"}`)) + "." + parts[2]
			_, err = Verify(forged, pubs...)
			require.ErrorIs(t, err, ErrInvalidToken, "a changed payload does not verify")
		})
	}
}

func TestVerifyChecksClaims(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	s, err := NewSigner(key)
	require.NoError(t, err)
	tests := []struct {
		name   string
		claims LegacyClaims
	}{
		{"wrong issuer", func() LegacyClaims { c := NewLegacyClaims("a", "b", "u", "s"); c.Issuer = "elsewhere"; return c }()},
		{"subject of another account", func() LegacyClaims {
			c := NewLegacyClaims("a", "b", "u", "s")
			c.Subject = Username("kube-system", "admin")
			return c
		}()},
		{"missing uid", NewLegacyClaims("a", "b", "", "s")},
		{"missing secret", NewLegacyClaims("a", "b", "u", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := s.Sign(tt.claims)
			require.NoError(t, err)
			_, err = Verify(tok, key.Public())
			require.ErrorIs(t, err, ErrInvalidToken)
		})
	}
	_, err = Verify("not-a-jwt", key.Public())
	require.ErrorIs(t, err, ErrInvalidToken)
}

func TestKeysRejected(t *testing.T) {
	_, err := ParsePrivateKeyPEM([]byte("nothing here"))
	require.Error(t, err)
	_, err = ParsePublicKeysPEM(nil)
	require.Error(t, err)
	_, err = ReadPrivateKeyFile(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func decodeParts(t *testing.T, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 3)
	for i, into := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, into))
	}
	return header, payload
}
