package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// selfSignedRenewBefore is how long before its expiry a generated serving certificate is replaced
// when the server starts.
const selfSignedRenewBefore = 30 * 24 * time.Hour

// selfSignedCert returns the serving certificate and key files of a server given no
// --tls-cert-file, as kube-apiserver does: apiserver.crt and apiserver.key in --cert-dir, kept
// from an earlier start while they are valid for the same names, else generated and self-signed
// for loopback, the kubernetes Service's names and cluster IP, and the bind and advertised
// addresses. Clients trust it only by holding the certificate itself (kubectl
// --certificate-authority=<cert-dir>/apiserver.crt); a cluster's own CA (keelson-pki,
// --tls-cert-file) is the way to serve production traffic.
func (c Config) selfSignedCert(now time.Time) (certFile, keyFile string, generated bool, err error) {
	certFile, keyFile = filepath.Join(c.CertDir, "apiserver.crt"), filepath.Join(c.CertDir, "apiserver.key")
	spec, err := clusterpki.APIServerServingSpec(c.ServiceClusterIPRange, c.advertiseAddress())
	if err != nil {
		return "", "", false, fmt.Errorf("--cert-dir: %w", err)
	}
	kp, err := pki.ReadKeyPair(certFile, keyFile)
	switch {
	case err == nil && kp.Cert.NotAfter.After(now.Add(selfSignedRenewBefore)) && covers(kp, spec):
		return certFile, keyFile, false, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", "", false, fmt.Errorf("--cert-dir: read the generated serving certificate: %w (remove %s and %s to generate new ones)", err, certFile, keyFile)
	}
	if err := os.MkdirAll(c.CertDir, 0o700); err != nil {
		return "", "", false, fmt.Errorf("--cert-dir: %w", err)
	}
	if kp, err = pki.SelfSigned("keelson-apiserver", spec.DNSNames, spec.IPs, 0); err != nil {
		return "", "", false, fmt.Errorf("--cert-dir: %w", err)
	}
	if err := pki.WriteKeyPair(kp, certFile, keyFile); err != nil {
		return "", "", false, fmt.Errorf("--cert-dir: %w", err)
	}
	return certFile, keyFile, true, nil
}

// covers reports whether kp's certificate is valid for every name of spec.
func covers(kp *pki.KeyPair, spec pki.CertSpec) bool {
	for _, name := range spec.DNSNames {
		if kp.Cert.VerifyHostname(name) != nil {
			return false
		}
	}
	for _, ip := range spec.IPs {
		if kp.Cert.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}
