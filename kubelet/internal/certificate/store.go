package certificate

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CurrentFile is the file, in the certificate directory, holding the current client certificate
// and its key, as Kubernetes' kubelet names it.
const CurrentFile = "kubelet-client-current.pem"

// ErrNoCertificate means the store holds no usable certificate: none yet, or an expired one.
var ErrNoCertificate = errors.New("no valid client certificate")

// Store keeps the current certificate and key as one PEM file in Dir.
type Store struct {
	Dir string
}

// Path returns the current certificate's file.
func (s Store) Path() string { return filepath.Join(s.Dir, CurrentFile) }

// Load returns the stored certificate with its leaf parsed. It fails with ErrNoCertificate when
// there is none or when it is not valid at now, and with another error when the file is damaged.
func (s Store) Load(now time.Time) (*tls.Certificate, error) {
	b, err := os.ReadFile(s.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCertificate
	}
	if err != nil {
		return nil, fmt.Errorf("read client certificate: %w", err)
	}
	cert, err := parsePair(b)
	if err != nil {
		return nil, fmt.Errorf("client certificate %s: %w", s.Path(), err)
	}
	if now.Before(cert.Leaf.NotBefore) || !now.Before(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("%w: %s is valid from %s to %s", ErrNoCertificate, s.Path(),
			cert.Leaf.NotBefore.UTC().Format(time.RFC3339), cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return cert, nil
}

// Save writes certificate and key PEM as the current pair, atomically, readable by the owner
// only, and returns the pair parsed. A pair whose key does not match is refused.
func (s Store) Save(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	data := append(append([]byte{}, certPEM...), keyPEM...)
	cert, err := parsePair(data)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create certificate directory: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, ".kubelet-client-*.pem")
	if err != nil {
		return nil, fmt.Errorf("write client certificate: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.Path())
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort: the write already failed
		return nil, fmt.Errorf("write client certificate: %w", err)
	}
	return cert, nil
}

// parsePair reads a certificate chain and its private key from one PEM buffer.
func parsePair(b []byte) (*tls.Certificate, error) {
	cert, err := tls.X509KeyPair(b, b)
	if err != nil {
		return nil, fmt.Errorf("parse certificate and key: %w", err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
	}
	return &cert, nil
}
