package pki

import (
	"crypto/x509"
	"fmt"
	"time"
)

// Verify reports whether cert chains to ca and is valid now for usage (x509.ExtKeyUsageAny
// accepts any). The error says why not.
func Verify(cert, ca *x509.Certificate, usage x509.ExtKeyUsage) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: time.Now(),
		KeyUsages:   []x509.ExtKeyUsage{usage},
	}); err != nil {
		return fmt.Errorf("certificate %q against CA %q: %w", cert.Subject.CommonName, ca.Subject.CommonName, err)
	}
	return nil
}
