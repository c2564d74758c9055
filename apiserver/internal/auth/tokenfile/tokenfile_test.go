package tokenfile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/tokenfile"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join([]string{
		`admin-token,admin,uid-1,"system:masters,dev"`,
		``,
		`viewer-token, viewer ,uid-2`,
		`node-token,system:node:n1,uid-3,system:nodes`,
	}, "\n")), 0o600))
	a, err := tokenfile.Read(path)
	require.NoError(t, err)
	tests := []struct {
		token string
		want  *user.Info
	}{
		{"admin-token", &user.Info{Name: "admin", UID: "uid-1", Groups: []string{"system:masters", "dev"}}},
		{"viewer-token", &user.Info{Name: "viewer", UID: "uid-2"}},
		{"node-token", &user.Info{Name: "system:node:n1", UID: "uid-3", Groups: []string{"system:nodes"}}},
		{"unknown", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(context.Background(), tt.token)
			require.NoError(t, err)
			require.Equal(t, tt.want != nil, ok)
			require.Equal(t, tt.want, u)
		})
	}
	u, _, _ := a.AuthenticateToken(context.Background(), "admin-token")
	u.Groups[0] = "changed"
	u, _, _ = a.AuthenticateToken(context.Background(), "admin-token")
	require.Equal(t, "system:masters", u.Groups[0], "a caller cannot change the file's users")
}

func TestReadRejects(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"too few columns", "t1,u1,uid\nt2,u2\n", "line 2: want at least 3 columns"},
		{"empty token", "t1,u1,uid\n\n ,u2,uid\n", "line 3: the token is empty"},
		{"empty user", "t1,,uid\n", "line 1: the user name is empty"},
		{"duplicate token", "t1,u1,uid\nt1,u2,uid\n", `line 2: the token of user "u2" is listed again`},
		{"bad quoting", "t1,u1,uid,\"g1\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tokens.csv")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			_, err := tokenfile.Read(path)
			require.ErrorContains(t, err, "token file "+path+": ")
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := tokenfile.Read(filepath.Join(t.TempDir(), "missing.csv"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
