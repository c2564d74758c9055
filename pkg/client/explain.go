package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Source says where a client's trust and credentials come from, so that an error can say what
// to fix. Both fields are optional.
type Source struct {
	// CA names where TLS.RootCAs come from, e.g. `certificate-authority /etc/keelson/ca.crt of
	// cluster "keelson" in kubeconfig /etc/keelson/admin.kubeconfig`.
	CA string
	// User names the credentials, e.g. `user "admin" in kubeconfig /etc/keelson/admin.kubeconfig
	// (client certificate /etc/keelson/admin.crt)`.
	User string
}

// TLSError is the error of a TLS handshake with an apiserver that failed because one side did not
// trust the other's certificate. Its message names the endpoint, the certificate and what to do;
// Err is crypto/tls's error.
type TLSError struct {
	// Endpoint is the apiserver's address.
	Endpoint string
	// Explanation says which certificate was not trusted, why and what to do.
	Explanation string
	Err         error
}

func (e *TLSError) Error() string {
	return fmt.Sprintf("apiserver %s: %s (%v)", e.Endpoint, e.Explanation, e.Err)
}

func (e *TLSError) Unwrap() error { return e.Err }

// explainTLS explains err, the error of a TLS handshake with endpoint under cfg, as a *TLSError;
// it returns nil for an error that is not about certificates (a broken connection, a timeout).
func explainTLS(err error, endpoint string, cfg *tls.Config, src Source) *TLSError {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		var server *x509.Certificate
		if len(verify.UnverifiedCertificates) > 0 {
			server = verify.UnverifiedCertificates[0]
		}
		return &TLSError{Endpoint: endpoint, Err: err, Explanation: explainServerCert(verify.Err, server, src)}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && isCertificateAlert(op.Err) {
		return &TLSError{Endpoint: endpoint, Err: err, Explanation: fmt.Sprintf(
			"the apiserver refused the client certificate %s of %s: use a certificate signed by the cluster CA "+
				"(the apiserver's --client-ca-file), or renew it if it has expired",
			describeCert(clientLeaf(cfg)), orDefault(src.User, "this client"))}
	}
	return nil
}

// explainServerCert says why the apiserver's certificate server was not trusted.
func explainServerCert(err error, server *x509.Certificate, src Source) string {
	cert := "the apiserver's certificate " + describeCert(server)
	roots := orDefault(src.CA, "the client's certificate authority")
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("%s is not signed by %s: point the kubeconfig's certificate-authority at the CA that "+
			"signed the apiserver's --tls-cert-file (the cluster CA), or check that the server address is this cluster's", cert, roots)
	case errors.As(err, &host):
		return fmt.Sprintf("%s is not valid for the host %q the client dialled: use a server address the "+
			"certificate names, or set the kubeconfig's tls-server-name", cert, host.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("%s has expired or is not valid yet: renew the apiserver's serving certificate "+
			"(--tls-cert-file), or check the clocks", cert)
	default:
		return fmt.Sprintf("%s was not accepted with %s", cert, roots)
	}
}

// isCertificateAlert reports whether err, a TLS alert the server sent, refuses a certificate.
// crypto/tls does not export its alert type (tls.AlertError is for QUIC only), so the alert's
// description, which RFC 8446 fixes, is what tells.
func isCertificateAlert(err error) bool {
	msg := err.Error()
	for _, a := range []string{"bad certificate", "unknown certificate authority", "expired certificate",
		"certificate required", "unsupported certificate", "revoked certificate", "unknown certificate"} {
		if strings.HasSuffix(msg, a) {
			return true
		}
	}
	return false
}

// clientLeaf returns the client certificate cfg presents, nil when it has none.
func clientLeaf(cfg *tls.Config) *x509.Certificate {
	var c *tls.Certificate
	switch {
	case cfg == nil:
		return nil
	case cfg.GetClientCertificate != nil:
		c, _ = cfg.GetClientCertificate(&tls.CertificateRequestInfo{})
	case len(cfg.Certificates) > 0:
		c = &cfg.Certificates[0]
	}
	if c == nil || len(c.Certificate) == 0 {
		return nil
	}
	if c.Leaf != nil {
		return c.Leaf
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// describeCert names c for an error message: subject, issuer and validity.
func describeCert(c *x509.Certificate) string {
	if c == nil {
		return "(unknown)"
	}
	return fmt.Sprintf("CN=%q (issuer CN=%q, valid %s to %s)", c.Subject.CommonName, c.Issuer.CommonName,
		c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// explainingCreds are TLS transport credentials whose handshake errors are explained (TLSError),
// logged, and remembered until a handshake succeeds: a call that waited for a connection in vain
// then says why.
type explainingCreds struct {
	credentials.TransportCredentials
	cfg  *tls.Config
	src  Source
	lg   *zap.Logger
	last *atomic.Pointer[TLSError]
}

func newExplainingCreds(cfg *tls.Config, src Source, lg *zap.Logger) *explainingCreds {
	return &explainingCreds{TransportCredentials: credentials.NewTLS(cfg), cfg: cfg, src: src, lg: lg, last: &atomic.Pointer[TLSError]{}}
}

func (c *explainingCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	out, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, conn)
	if err == nil {
		c.last.Store(nil)
		return out, info, nil
	}
	endpoint := authority
	if conn != nil && conn.RemoteAddr() != nil {
		endpoint = conn.RemoteAddr().String()
	}
	te := explainTLS(err, endpoint, c.cfg, c.src)
	if te == nil {
		return nil, nil, err
	}
	c.last.Store(te)
	c.lg.Warn("TLS handshake with the apiserver failed", zap.Error(te))
	return nil, nil, te
}

func (c *explainingCreds) Clone() credentials.TransportCredentials {
	return &explainingCreds{TransportCredentials: c.TransportCredentials.Clone(), cfg: c.cfg, src: c.src, lg: c.lg, last: c.last}
}

// lastError returns the explained error of the latest failed handshake, nil once one succeeded.
func (c *explainingCreds) lastError() *TLSError {
	if c == nil {
		return nil
	}
	return c.last.Load()
}

// withTLSExplanation returns err, a failed call's error, joined with the last handshake error
// when the call failed for want of a connection (Unavailable, or a deadline that passed while it
// waited for one) and the last handshake failed over a certificate.
func (c *Client) withTLSExplanation(err error, grpcErr error) error {
	code := status.Code(grpcErr)
	if code != codes.Unavailable && code != codes.DeadlineExceeded {
		return err
	}
	te := c.creds.lastError()
	if te == nil {
		return err
	}
	return &connError{tls: te, call: err, code: code}
}

// connError is a call's error (call) that failed for want of a connection, with the TLS error
// that refused the connection: errors.As finds both; its message is the TLS error's, which the
// call's would only repeat.
type connError struct {
	tls  *TLSError
	call error
	code codes.Code
}

func (e *connError) Error() string { return fmt.Sprintf("%v (the call ended: %s)", e.tls, e.code) }

func (e *connError) Unwrap() []error { return []error{e.tls, e.call} }

// explainUnauthenticated rewrites an Unauthenticated status so that its message says which
// apiserver refused which credentials, before the server's own reason; other errors pass as they
// are. The status keeps its code and details.
func (c *Client) explainUnauthenticated(err error, p *peer.Peer) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unauthenticated {
		return err
	}
	endpoint := "(unknown address)"
	if p != nil && p.Addr != nil {
		endpoint = p.Addr.String()
	}
	pb := st.Proto() // a copy
	pb.Message = fmt.Sprintf("apiserver %s refused the credentials of %s: %s", endpoint, c.credentials(), pb.GetMessage())
	return status.ErrorProto(pb)
}

// credentials names the client's credentials for an error message.
func (c *Client) credentials() string {
	if c.cfg.Source.User != "" {
		return c.cfg.Source.User
	}
	switch leaf := clientLeaf(c.cfg.TLS); {
	case c.cfg.BearerToken != "":
		return "this client (a bearer token)"
	case leaf != nil:
		return "this client (client certificate " + describeCert(leaf) + ")"
	default:
		return "this client (no credentials)"
	}
}

// unaryExplainer explains Unauthenticated errors of unary calls.
func (c *Client) unaryExplainer(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
	return c.explainUnauthenticated(err, &p)
}

// streamExplainer explains Unauthenticated errors of streams.
func (c *Client) streamExplainer(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	p := &peer.Peer{}
	s, err := streamer(ctx, desc, cc, method, append(opts, grpc.Peer(p))...)
	if err != nil {
		return nil, c.explainUnauthenticated(err, p)
	}
	return &explainedStream{ClientStream: s, c: c, peer: p}, nil
}

type explainedStream struct {
	grpc.ClientStream
	c    *Client
	peer *peer.Peer
}

func (s *explainedStream) RecvMsg(m any) error {
	return s.c.explainUnauthenticated(s.ClientStream.RecvMsg(m), s.peer)
}
