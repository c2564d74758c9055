package tlsserving

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// ALPN protocol names.
const (
	protoH2    = "h2"
	protoHTTP1 = "http/1.1"
)

// ServerConfig returns the TLS configuration of a port serving gRPC and REST with the key pair in
// certFile and keyFile. With clientCAFile (which it checks is a readable CA bundle), a client is
// asked for a certificate that it may or may not present (tls.RequestClientCert, as Kubernetes'
// apiserver asks): the handshake does not verify it, the client certificate authenticator does,
// against that bundle, so that a certificate the cluster does not trust gets a 401 saying why
// instead of a TLS alert. The request names no acceptable CA either, so that a client presents
// its certificate whoever issued it and learns why it is refused. TLS 1.2 is the least version
// accepted.
//
// A client that offers HTTP/1.1 (kubectl, curl, browsers) is answered in HTTP/1.1 and one that
// offers only h2 (gRPC) in HTTP/2, because after the split the HTTP server speaks HTTP/1.1 only.
func ServerConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert-file and --tls-private-key-file are both required")
	}
	kp, err := pki.ReadKeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert-file/--tls-private-key-file: %w", err)
	}
	base := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{kp.TLSCertificate()},
		NextProtos:   []string{protoHTTP1},
	}
	if clientCAFile != "" {
		if _, err := pki.ReadCertPool(clientCAFile); err != nil {
			return nil, fmt.Errorf("--client-ca-file: %w", err)
		}
		base.ClientAuth = tls.RequestClientCert
	}
	return WithALPNSplit(base), nil
}

// WithALPNSplit returns base set to answer a client that offers HTTP/1.1 in HTTP/1.1 and one
// that offers only h2 in HTTP/2. base is not changed.
func WithALPNSplit(base *tls.Config) *tls.Config {
	http1 := base.Clone()
	http1.NextProtos = []string{protoHTTP1}
	h2 := base.Clone()
	h2.NextProtos = []string{protoH2}
	cfg := base.Clone()
	cfg.NextProtos = []string{protoHTTP1, protoH2}
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if slices.Contains(hello.SupportedProtos, protoH2) && !slices.Contains(hello.SupportedProtos, protoHTTP1) {
			return h2, nil
		}
		return http1, nil
	}
	return cfg
}
