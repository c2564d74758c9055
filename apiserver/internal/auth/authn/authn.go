// Package authn decides who made a request. Each way of proving an identity (client
// certificate, token file, bootstrap token, service account token, anonymous) is an
// Authenticator; the apiserver tries them in Kubernetes' order and the first that recognises the
// credential decides.
package authn

import (
	"context"
	"crypto/x509"
	"net"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// Request is what an authenticator may look at; REST and gRPC fill it the same way.
type Request struct {
	// VerifiedChains are the client certificate chains the TLS handshake verified against the
	// client CA (tls.ConnectionState.VerifiedChains); empty without a client certificate.
	VerifiedChains [][]*x509.Certificate
	// PeerCertificates are the certificates the client presented, leaf first, as the TLS
	// handshake received them (tls.ConnectionState.PeerCertificates); the apiserver's TLS
	// configuration asks for them without verifying them, so that the client certificate
	// authenticator verifies them and can say why one is refused.
	PeerCertificates []*x509.Certificate
	// Authorization is the Authorization header, or the gRPC "authorization" metadata
	// ("Bearer <token>"); empty when the client sent none.
	Authorization string
	// Path is the HTTP path, or the gRPC full method name.
	Path string
	// LocalAddr is the server address the request came in on; nil when unknown.
	LocalAddr net.Addr
}

// Authenticator recognises one kind of credential.
//
// It returns (u, true, nil) when the credential proves u; (nil, false, nil) when the request holds
// no credential of its kind, so the next authenticator is asked; and (nil, false, err) when the
// request holds one of its kind that is not valid (expired, revoked, badly signed): the request is
// then refused with 401 and err's message.
type Authenticator interface {
	Authenticate(ctx context.Context, req *Request) (*user.Info, bool, error)
}

// Func adapts a function to Authenticator.
type Func func(ctx context.Context, req *Request) (*user.Info, bool, error)

// Authenticate calls f.
func (f Func) Authenticate(ctx context.Context, req *Request) (*user.Info, bool, error) {
	return f(ctx, req)
}
