package authn

import (
	"context"
	"slices"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// Chain returns an authenticator that asks auths in order (Kubernetes' order: x509, token file,
// bootstrap token, service account token, then anonymous). The first that recognises the
// request's credential decides: its user, or its error, which ends the chain so that a bad
// credential is never passed over in favour of a later authenticator (anonymous above all).
// Every user but the anonymous one gets the group system:authenticated added. A request none
// recognises is (nil, false, nil).
func Chain(auths ...Authenticator) Authenticator {
	return Func(func(ctx context.Context, req *Request) (*user.Info, bool, error) {
		for _, a := range auths {
			u, ok, err := a.Authenticate(ctx, req)
			if err != nil {
				return nil, false, err
			}
			if ok {
				return withAuthenticatedGroup(u), true, nil
			}
		}
		return nil, false, nil
	})
}

// withAuthenticatedGroup returns u, or a copy of u in system:authenticated when it is neither
// anonymous nor already in that group.
func withAuthenticatedGroup(u *user.Info) *user.Info {
	if u.Name == user.Anonymous || slices.Contains(u.Groups, user.AllAuthenticated) {
		return u
	}
	c := *u
	c.Groups = append(slices.Clip(u.Groups), user.AllAuthenticated)
	return &c
}
