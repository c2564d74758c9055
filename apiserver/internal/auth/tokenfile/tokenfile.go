// Package tokenfile authenticates bearer tokens listed in a static file (--token-auth-file), in
// Kubernetes' CSV format: one token a line, "token,user,uid" with an optional fourth column of
// comma-separated groups ("token,user,uid,\"group1,group2\"").
package tokenfile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// Authenticator knows the tokens of one file, read once when built. It is safe for concurrent use.
type Authenticator struct {
	tokens map[string]*user.Info
}

var _ authn.Token = (*Authenticator)(nil)

// Read reads the token file at path. Every error names the file and, for a bad line, the line.
func Read(path string) (*Authenticator, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer func() { _ = f.Close() }()
	a, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return a, nil
}

// Parse reads tokens in the token file format from r. A bad line's error names the line.
func Parse(r io.Reader) (*Authenticator, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	a := &Authenticator{tokens: map[string]*user.Info{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			// csv.ParseError names its line already.
			return nil, err
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("line %d: want at least 3 columns (token, user name, user uid), found %d", line, len(rec))
		}
		token, name := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		switch {
		case token == "":
			return nil, fmt.Errorf("line %d: the token is empty", line)
		case name == "":
			return nil, fmt.Errorf("line %d: the user name is empty", line)
		case a.tokens[token] != nil:
			return nil, fmt.Errorf("line %d: the token of user %q is listed again", line, name)
		}
		u := &user.Info{Name: name, UID: strings.TrimSpace(rec[2])}
		if len(rec) > 3 {
			for g := range strings.SplitSeq(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		a.tokens[token] = u
	}
}

// AuthenticateToken returns the user of a listed token. A token not listed is not its kind, so
// the next token authenticator is asked.
func (a *Authenticator) AuthenticateToken(_ context.Context, token string) (*user.Info, bool, error) {
	u, ok := a.tokens[token]
	if !ok {
		return nil, false, nil
	}
	c := *u
	c.Groups = slices.Clone(u.Groups)
	return &c, true, nil
}
