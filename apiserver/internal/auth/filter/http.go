package filter

import (
	"net"
	"net/http"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
)

// HTTP returns next behind authentication and authorization: a request reaches next only with its
// user in its context (user.FromContext) and once the authorizer allowed RESTAttributes of it;
// otherwise it gets Kubernetes' 401 or 403 Status. The Authorization header is removed before next
// sees it, so that no proxied request carries the client's credential further.
func HTTP(next http.Handler, c Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &authn.Request{Authorization: r.Header.Get("Authorization"), Path: r.URL.Path}
		if r.TLS != nil {
			req.VerifiedChains, req.PeerCertificates = r.TLS.VerifiedChains, r.TLS.PeerCertificates
		}
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			req.LocalAddr = a
		}
		ctx := r.Context()
		u, err := c.authenticate(ctx, req)
		if err != nil {
			rest.WriteError(w, err)
			return
		}
		user.RecordAuthenticated(ctx, u)
		a := RESTAttributes(r)
		a.User = u
		if err := c.authorize(ctx, a); err != nil {
			rest.WriteError(w, err)
			return
		}
		r = r.WithContext(user.NewContext(ctx, u))
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r)
	})
}
