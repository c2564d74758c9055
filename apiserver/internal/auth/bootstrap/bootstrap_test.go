package bootstrap_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn/authntest"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/bootstrap"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var secrets = scheme.GroupVersionResource{Version: "v1", Resource: "secrets"}

var now = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func secret(id string, mutate func(s *corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		Metadata: &metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-" + id},
		Type:     "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{
			"token-id":                       []byte(id),
			"token-secret":                   []byte("0123456789abcdef"),
			"usage-bootstrap-authentication": []byte("true"),
			"expiration":                     []byte(now.Add(time.Hour).Format(time.RFC3339)),
			"auth-extra-groups":              []byte("system:bootstrappers:keelson:default-node-token"),
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func TestAuthenticateToken(t *testing.T) {
	var objs authntest.Objects
	put := func(id string, mutate func(s *corev1.Secret)) { objs.Put(secrets, secret(id, mutate)) }
	put("abcdef", nil)
	put("noexpi", func(s *corev1.Secret) { delete(s.Data, "expiration"); delete(s.Data, "auth-extra-groups") })
	put("expird", func(s *corev1.Secret) { s.Data["expiration"] = []byte(now.Add(-time.Second).Format(time.RFC3339)) })
	put("badexp", func(s *corev1.Secret) { s.Data["expiration"] = []byte("tomorrow") })
	put("nouse0", func(s *corev1.Secret) { s.Data["usage-bootstrap-authentication"] = []byte("false") })
	put("opaque", func(s *corev1.Secret) { s.Type = "Opaque" })
	put("badgrp", func(s *corev1.Secret) { s.Data["auth-extra-groups"] = []byte("system:masters") })
	put("otheri", func(s *corev1.Secret) { s.Data["token-id"] = []byte("abcdef") })
	put("delete", func(s *corev1.Secret) { s.Metadata.DeletionTimestamp = timestamppb.New(now) })
	a := bootstrap.New(&objs, clock.NewFake(now))

	tests := []struct {
		name    string
		token   string
		want    *user.Info
		notKind bool
		errMsg  string
	}{
		{"valid", "abcdef.0123456789abcdef", &user.Info{Name: "system:bootstrap:abcdef",
			Groups: []string{"system:bootstrappers", "system:bootstrappers:keelson:default-node-token"}}, false, ""},
		{"no expiration", "noexpi.0123456789abcdef", &user.Info{Name: "system:bootstrap:noexpi",
			Groups: []string{"system:bootstrappers"}}, false, ""},
		{"wrong secret", "abcdef.0123456789abcdee", nil, false, "does not match"},
		{"expired", "expird.0123456789abcdef", nil, false,
			"invalid bootstrap token expird: the bearer token has expired (exp 2026-12-07T08:59:59Z); create a new bootstrap token"},
		{"unparseable expiration", "badexp.0123456789abcdef", nil, false, "RFC 3339"},
		{"not for authentication", "nouse0.0123456789abcdef", nil, false, "does not allow authentication"},
		{"wrong type", "opaque.0123456789abcdef", nil, false, "type"},
		{"extra group outside system:bootstrappers", "badgrp.0123456789abcdef", nil, false, "auth-extra-groups"},
		{"token-id differs", "otheri.0123456789abcdef", nil, false, "token-id"},
		{"secret being deleted", "delete.0123456789abcdef", nil, false, "being deleted"},
		{"no secret", "zzzzzz.0123456789abcdef", nil, false, "no secret kube-system/bootstrap-token-zzzzzz"},
		{"uppercase is not the format", "ABCDEF.0123456789abcdef", nil, true, ""},
		{"short secret", "abcdef.0123", nil, true, ""},
		{"a JWT", "eyJhbGciOiJSUzI1NiJ9.e30.sig", nil, true, ""},
		{"empty", "", nil, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(context.Background(), tt.token)
			switch {
			case tt.want != nil:
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, tt.want, u)
			case tt.notKind:
				require.NoError(t, err)
				require.False(t, ok)
			default:
				require.ErrorIs(t, err, bootstrap.ErrInvalid)
				require.ErrorContains(t, err, tt.errMsg)
				require.False(t, ok)
			}
		})
	}
}

func TestStorageErrorIsNotAnInvalidToken(t *testing.T) {
	errDown := errors.New("etcd is down")
	a := bootstrap.New(authn.GetterFunc(func(context.Context, scheme.GroupVersionResource, string, string) (scheme.Object, error) {
		return nil, errDown
	}), clock.NewFake(now))
	_, ok, err := a.AuthenticateToken(context.Background(), "abcdef.0123456789abcdef")
	require.False(t, ok)
	require.ErrorIs(t, err, errDown)
	require.NotErrorIs(t, err, bootstrap.ErrInvalid)
}
