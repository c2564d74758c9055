package tlsserving

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"

	"github.com/soheilhy/cmux"
)

// maxUnwrap bounds how many connection wrappers TLSConn looks through.
const maxUnwrap = 8

// TLSConn returns the *tls.Conn under c: c itself, or the connection a cmux.MuxConn or any
// wrapper with a NetConn method holds. It returns nil for a plain-text connection.
func TLSConn(c net.Conn) *tls.Conn {
	for range maxUnwrap {
		switch v := c.(type) {
		case *tls.Conn:
			return v
		case *cmux.MuxConn:
			c = v.Conn
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

type stateKey struct{}

// ConnContext is an http.Server's ConnContext: it records the TLS state of a connection whose TLS
// was terminated before the server got it, for Handler to put in r.TLS.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	tc := TLSConn(c)
	if tc == nil {
		return ctx
	}
	// Handshaking here is a no-op once the split has read from the connection, which it has.
	if err := tc.HandshakeContext(ctx); err != nil {
		return ctx
	}
	st := tc.ConnectionState()
	return context.WithValue(ctx, stateKey{}, &st)
}

// Handler sets r.TLS from the state ConnContext recorded, then calls next.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if st, ok := r.Context().Value(stateKey{}).(*tls.ConnectionState); ok {
				r.TLS = st
			}
		}
		next.ServeHTTP(w, r)
	})
}
