package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuthValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Auth)
		want   []string
	}{
		{"defaults", func(*Auth) {}, nil},
		{"deny then allow", func(a *Auth) { a.AuthorizationModes = []string{"AlwaysDeny", "AlwaysAllow"} }, nil},
		{"no mode", func(a *Auth) { a.AuthorizationModes = nil }, []string{"--authorization-mode: at least one mode is required"}},
		{"no mode but an authorizer", func(a *Auth) { a.AuthorizationModes, a.Authorizer = nil, AuthorizerFunc(nil) }, nil},
		{"unknown and repeated modes", func(a *Auth) { a.AuthorizationModes = []string{"AlwaysAllow", "ABAC", "AlwaysAllow"} }, []string{
			`--authorization-mode: unknown mode "ABAC" (supported: AlwaysAllow, AlwaysDeny, Node, RBAC)`,
			`--authorization-mode: "AlwaysAllow" is listed twice`,
		}},
		{"issuer without key", func(a *Auth) { a.ServiceAccountIssuers = []string{"https://keelson"} }, []string{
			"--service-account-issuer: needs --service-account-key-file to verify the tokens",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg.Auth)
			err := cfg.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.want, strings.Split(err.Error(), "\n"))
		})
	}
}

func TestAnonymousEverywhereOnlyWithoutCredentialSources(t *testing.T) {
	a := DefaultAuth()
	require.False(t, a.credentialSourceConfigured(""))
	require.True(t, a.credentialSourceConfigured("ca.crt"), "a client CA is a credential source")
	a.TokenAuthFile = "tokens.csv"
	require.True(t, a.credentialSourceConfigured(""))
	a = DefaultAuth()
	a.ServiceAccountKeyFiles = []string{"sa.pub"}
	require.True(t, a.credentialSourceConfigured(""))
}
