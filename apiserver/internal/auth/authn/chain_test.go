package authn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// fixed recognises the request whose Authorization is cred as u, or refuses it with err.
func fixed(cred string, u *user.Info, err error) authn.Authenticator {
	return authn.Func(func(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
		if req.Authorization != cred {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return u, true, nil
	})
}

func TestChain(t *testing.T) {
	errBad := errors.New("bad")
	alice := &user.Info{Name: "alice", Groups: []string{"dev"}}
	anon := &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	chain := authn.Chain(
		fixed("a", alice, nil),
		fixed("bad", nil, errBad),
		fixed("a", &user.Info{Name: "later"}, nil),
		authn.Func(func(context.Context, *authn.Request) (*user.Info, bool, error) { return anon, true, nil }),
	)
	tests := []struct {
		name     string
		cred     string
		wantUser string
		groups   []string
		wantErr  error
	}{
		{"first that recognises wins", "a", "alice", []string{"dev", user.AllAuthenticated}, nil},
		{"an error ends the chain before anonymous", "bad", "", nil, errBad},
		{"anonymous stays unauthenticated", "", user.Anonymous, []string{user.AllUnauthenticated}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok, err := chain.Authenticate(context.Background(), &authn.Request{Authorization: tt.cred})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.False(t, ok)
				return
			}
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tt.wantUser, u.Name)
			require.Equal(t, tt.groups, u.Groups)
		})
	}
	require.Equal(t, []string{"dev"}, alice.Groups, "the authenticator's user is not changed")

	u, ok, err := authn.Chain(fixed("a", alice, nil)).Authenticate(context.Background(), &authn.Request{})
	require.NoError(t, err)
	require.False(t, ok)
	require.Nil(t, u)
}

func TestBearerToken(t *testing.T) {
	bob := &user.Info{Name: "bob"}
	errExpired := errors.New("expired")
	tokens := authn.BearerToken(
		authn.TokenFunc(func(_ context.Context, tok string) (*user.Info, bool, error) {
			switch tok {
			case "good":
				return bob, true, nil
			case "old":
				return nil, false, errExpired
			}
			return nil, false, nil
		}),
	)
	tests := []struct {
		name    string
		header  string
		ok      bool
		wantErr error
	}{
		{"known token", "Bearer good", true, nil},
		{"scheme is case-insensitive", "bearer  good", true, nil},
		{"the recogniser's error", "Bearer old", false, errExpired},
		{"unknown token", "Bearer nobody-knows", false, authn.ErrUnknownToken},
		{"no header", "", false, nil},
		{"basic auth is not a bearer token", "Basic Zm9vOmJhcg==", false, nil},
		{"empty token", "Bearer ", false, nil},
		{"two tokens", "Bearer good good", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok, err := tokens.Authenticate(context.Background(), &authn.Request{Authorization: tt.header})
			require.ErrorIs(t, err, tt.wantErr)
			if tt.wantErr == nil {
				require.NoError(t, err)
			}
			require.Equal(t, tt.ok, ok)
			if ok {
				require.Equal(t, bob, u)
			}
		})
	}
}
