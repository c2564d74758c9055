package server

import (
	"crypto/tls"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// kubeletTLS returns how pods/log reaches kubelets: nil (plain HTTP) without
// --kubelet-certificate-authority, else HTTPS verifying each kubelet's serving certificate against
// that CA and presenting --kubelet-client-certificate when set.
func (s *Server) kubeletTLS() (*tls.Config, error) {
	if s.cfg.KubeletCertificateAuthority == "" {
		return nil, nil
	}
	roots, err := pki.ReadCertPool(s.cfg.KubeletCertificateAuthority)
	if err != nil {
		return nil, fmt.Errorf("--kubelet-certificate-authority: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if s.cfg.KubeletClientCertificate != "" {
		kp, err := pki.ReadKeyPair(s.cfg.KubeletClientCertificate, s.cfg.KubeletClientKey)
		if err != nil {
			return nil, fmt.Errorf("--kubelet-client-certificate/--kubelet-client-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{kp.TLSCertificate()}
	}
	return cfg, nil
}
