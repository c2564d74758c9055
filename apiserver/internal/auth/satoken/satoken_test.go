package satoken_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn/authntest"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/satoken"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	sa "github.com/keelson-dev/keelson/pkg/serviceaccount"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var (
	serviceAccounts = scheme.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	secrets         = scheme.GroupVersionResource{Version: "v1", Resource: "secrets"}
	pods            = scheme.GroupVersionResource{Version: "v1", Resource: "pods"}
	now             = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
)

const issuer = "https://keelson.local"

func meta(ns, name, uid string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Namespace: ns, Name: name, Uid: uid}
}

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// fixture is a namespace "team" with service account "builder", its token secret and pod "web".
type fixture struct {
	objs   *authntest.Objects
	signer *sa.Signer
	auth   *satoken.Authenticator
	legacy string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := newKey(t)
	signer, err := sa.NewSigner(key)
	require.NoError(t, err)
	objs := &authntest.Objects{}
	legacy, err := signer.Sign(sa.NewLegacyClaims("team", "builder", "sa-uid", "builder-token"))
	require.NoError(t, err)
	objs.Put(serviceAccounts, &corev1.ServiceAccount{Metadata: meta("team", "builder", "sa-uid")})
	objs.Put(secrets, &corev1.Secret{Metadata: meta("team", "builder-token", "secret-uid"), Data: map[string][]byte{"token": []byte(legacy)}})
	objs.Put(pods, &corev1.Pod{Metadata: meta("team", "web", "pod-uid")})
	auth, err := satoken.New(satoken.Config{
		Keys: []crypto.PublicKey{newKey(t).Public(), key.Public()}, Issuers: []string{issuer}, Audiences: []string{"api"},
		Getter: objs, Clock: clock.NewFake(now),
	})
	require.NoError(t, err)
	return &fixture{objs: objs, signer: signer, auth: auth, legacy: legacy}
}

func (f *fixture) bound(t *testing.T, mutate func(*sa.BoundToken)) string {
	t.Helper()
	bt := sa.BoundToken{
		Issuer: issuer, Audiences: []string{"api"}, Namespace: "team",
		ServiceAccount: sa.ObjectRef{Name: "builder", UID: "sa-uid"}, Pod: &sa.ObjectRef{Name: "web", UID: "pod-uid"},
		IssuedAt: now.Add(-time.Minute), Expiration: time.Hour,
	}
	if mutate != nil {
		mutate(&bt)
	}
	tok, err := f.signer.SignBound(sa.NewBoundClaims(bt))
	require.NoError(t, err)
	return tok
}

var builder = []string{"system:serviceaccounts", "system:serviceaccounts:team"}

func TestLegacy(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fixture)
		errMsg string
	}{
		{"valid", nil, ""},
		{"service account deleted", func(f *fixture) { f.objs.Delete(serviceAccounts, "team", "builder") }, "its service account (team/builder) has been deleted"},
		{"service account created anew", func(f *fixture) {
			f.objs.Put(serviceAccounts, &corev1.ServiceAccount{Metadata: meta("team", "builder", "other-uid")})
		}, "created anew"},
		{"secret deleted", func(f *fixture) { f.objs.Delete(secrets, "team", "builder-token") }, "the token's secret (team/builder-token) has been deleted"},
		{"secret holds another token", func(f *fixture) {
			f.objs.Put(secrets, &corev1.Secret{Metadata: meta("team", "builder-token", "s2"), Data: map[string][]byte{"token": []byte("x")}})
		}, "no longer holds this token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.change != nil {
				tt.change(f)
			}
			u, ok, err := f.auth.AuthenticateToken(context.Background(), f.legacy)
			if !authenticated(t, ok, err, tt.errMsg) {
				return
			}
			require.Equal(t, &user.Info{Name: "system:serviceaccount:team:builder", UID: "sa-uid", Groups: builder}, u)
		})
	}
}

func TestBound(t *testing.T) {
	tests := []struct {
		name   string
		token  func(*sa.BoundToken)
		change func(f *fixture)
		errMsg string
	}{
		{"valid", nil, nil, ""},
		{"expired", func(b *sa.BoundToken) { b.IssuedAt = now.Add(-2 * time.Hour) }, nil,
			"the bearer token has expired (exp 2026-12-07T08:00:00Z); request a new one (TokenRequest"},
		{"another audience", func(b *sa.BoundToken) { b.Audiences = []string{"vault"} }, nil, "audiences"},
		{"service account deleted", nil, func(f *fixture) { f.objs.Delete(serviceAccounts, "team", "builder") }, "its service account (team/builder) has been deleted"},
		{"service account created anew", nil, func(f *fixture) {
			f.objs.Put(serviceAccounts, &corev1.ServiceAccount{Metadata: meta("team", "builder", "other-uid")})
		}, "created anew"},
		{"service account being deleted", nil, func(f *fixture) {
			m := meta("team", "builder", "sa-uid")
			m.DeletionTimestamp = timestamppb.New(now)
			f.objs.Put(serviceAccounts, &corev1.ServiceAccount{Metadata: m})
		}, "is being deleted"},
		{"pod deleted", nil, func(f *fixture) { f.objs.Delete(pods, "team", "web") }, "the pod the token is bound to (team/web) has been deleted"},
		{"pod created anew", nil, func(f *fixture) { f.objs.Put(pods, &corev1.Pod{Metadata: meta("team", "web", "pod-2")}) }, "pod web the token is bound to has been deleted"},
		{"pod deleted long ago", nil, func(f *fixture) {
			m := meta("team", "web", "pod-uid")
			m.DeletionTimestamp = timestamppb.New(now.Add(-2 * time.Minute))
			f.objs.Put(pods, &corev1.Pod{Metadata: m})
		}, "has been deleted"},
		{"secret deleted", func(b *sa.BoundToken) { b.Pod, b.Secret = nil, &sa.ObjectRef{Name: "builder-token", UID: "secret-uid"} },
			func(f *fixture) { f.objs.Delete(secrets, "team", "builder-token") }, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tok := f.bound(t, tt.token)
			if tt.change != nil {
				tt.change(f)
			}
			u, ok, err := f.auth.AuthenticateToken(context.Background(), tok)
			if !authenticated(t, ok, err, tt.errMsg) {
				return
			}
			require.Equal(t, "system:serviceaccount:team:builder", u.Name)
			require.Equal(t, "sa-uid", u.UID)
			require.Equal(t, builder, u.Groups)
			require.Equal(t, []string{"web"}, u.Extra[satoken.ExtraPodName])
			require.Equal(t, []string{"pod-uid"}, u.Extra[satoken.ExtraPodUID])
		})
	}
	t.Run("pod being deleted within its grace", func(t *testing.T) {
		f := newFixture(t)
		m := meta("team", "web", "pod-uid")
		m.DeletionTimestamp = timestamppb.New(now.Add(30 * time.Second))
		f.objs.Put(pods, &corev1.Pod{Metadata: m})
		_, ok, err := f.auth.AuthenticateToken(context.Background(), f.bound(t, nil))
		require.NoError(t, err)
		require.True(t, ok)
	})
}

func TestNotItsKind(t *testing.T) {
	f := newFixture(t)
	other := f.bound(t, func(b *sa.BoundToken) { b.Issuer = "https://elsewhere" })
	for name, tok := range map[string]string{
		"other issuer": other, "not a JWT": "abcdef.0123456789abcdef", "empty": "", "garbage": "a.b.c",
	} {
		t.Run(name, func(t *testing.T) {
			_, ok, err := f.auth.AuthenticateToken(context.Background(), tok)
			require.NoError(t, err)
			require.False(t, ok)
		})
	}
	t.Run("signed by another key", func(t *testing.T) {
		signer, err := sa.NewSigner(newKey(t))
		require.NoError(t, err)
		tok, err := signer.Sign(sa.NewLegacyClaims("team", "builder", "sa-uid", "builder-token"))
		require.NoError(t, err)
		_, ok, err := f.auth.AuthenticateToken(context.Background(), tok)
		require.ErrorIs(t, err, sa.ErrInvalidToken)
		require.ErrorContains(t, err, "signature")
		require.False(t, ok)
	})
	_, err := satoken.New(satoken.Config{})
	require.Error(t, err)
}

// authenticated checks a result: a refusal with an invalid-token error naming errMsg when errMsg is
// set, a user otherwise; it reports whether there is a user to check further.
func authenticated(t *testing.T, ok bool, err error, errMsg string) bool {
	t.Helper()
	if errMsg != "" {
		require.ErrorIs(t, err, sa.ErrInvalidToken)
		require.ErrorContains(t, err, errMsg)
		require.False(t, ok)
		return false
	}
	require.NoError(t, err)
	require.True(t, ok)
	return true
}
