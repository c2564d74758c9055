package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// selfSignedRenewBefore is how long before its expiry a self-signed serving certificate is made
// anew at start.
const selfSignedRenewBefore = 24 * time.Hour

// servingTLS returns the kubelet API's TLS configuration, or nil to serve plain text: the
// configured key pair, else a self-signed one kept in CertDir, else none.
func (s *Server) servingTLS() (*tls.Config, error) {
	var kp *pki.KeyPair
	var err error
	switch {
	case s.cfg.TLSCertFile != "":
		if kp, err = pki.ReadKeyPair(s.cfg.TLSCertFile, s.cfg.TLSPrivateKeyFile); err != nil {
			return nil, fmt.Errorf("--tls-cert-file/--tls-private-key-file: %w", err)
		}
	case s.cfg.CertDir != "":
		if kp, err = s.selfSigned(); err != nil {
			return nil, err
		}
	default:
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp.TLSCertificate()}}
	if s.cfg.ClientCAFile != "" {
		if cfg.ClientCAs, err = pki.ReadCertPool(s.cfg.ClientCAFile); err != nil {
			return nil, fmt.Errorf("--client-ca-file: %w", err)
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// selfSigned returns the self-signed serving key pair in CertDir, making it (for the node's name,
// localhost, loopback and --node-ip) when it is missing, unreadable or about to expire, as the
// kubelet does.
func (s *Server) selfSigned() (*pki.KeyPair, error) {
	certFile, keyFile := filepath.Join(s.cfg.CertDir, "kubelet.crt"), filepath.Join(s.cfg.CertDir, "kubelet.key")
	if kp, err := pki.ReadKeyPair(certFile, keyFile); err == nil && time.Until(kp.Cert.NotAfter) > selfSignedRenewBefore {
		return kp, nil
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if ip := net.ParseIP(s.cfg.NodeIP); ip != nil {
		ips = append(ips, ip)
	}
	kp, err := pki.SelfSigned(s.nodeName, []string{s.nodeName, "localhost"}, ips, 0)
	if err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	if err := pki.WriteKeyPair(kp, certFile, keyFile); err != nil {
		return nil, fmt.Errorf("kubelet serving certificate: %w", err)
	}
	return kp, nil
}
