package csrsigning

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/keelson-dev/keelson/pkg/csr"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
)

// backdate is how far before now an issued certificate starts, so that a clock a little behind
// the signer's still accepts it; short certificates are backdated less (see Sign).
const backdate = 5 * time.Minute

// CA is a signing certificate and its private key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// LoadCA reads a PEM certificate and a PEM RSA or ECDSA private key (PKCS #1, SEC 1 or PKCS #8)
// and checks that they belong together.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read signing certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	certs, err := csr.ParseCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("signing certificate %s: %w", certFile, err)
	}
	key, err := serviceaccount.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", keyFile, err)
	}
	if !publicKeysEqual(certs[0].PublicKey, key.Public()) {
		return nil, fmt.Errorf("signing key %s does not match the certificate %s", keyFile, certFile)
	}
	return &CA{Cert: certs[0], Key: key}, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// Sign issues a certificate for req with usages, valid from a little before now for ttl, capped
// at the CA's own expiry. It fails when the CA is not valid now or cannot sign.
func (ca *CA) Sign(req *x509.CertificateRequest, usages []string, now time.Time, ttl time.Duration) ([]byte, error) {
	if now.Before(ca.Cert.NotBefore) || now.After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("the signing certificate is valid from %s to %s, not now (%s)",
			ca.Cert.NotBefore.UTC().Format(time.RFC3339), ca.Cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	ku, eku, err := csr.X509Usages(usages)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("draw a serial number: %w", err)
	}
	// A short certificate is backdated by a fifth of its life at most, so most of it stays ahead.
	back := min(backdate, ttl/5)
	notAfter := now.Add(ttl)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		EmailAddresses:        req.EmailAddresses,
		URIs:                  req.URIs,
		NotBefore:             now.Add(-back),
		NotAfter:              notAfter,
		KeyUsage:              ku,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		IsCA:                  false,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, req.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: csr.CertificateBlockType, Bytes: der}), nil
}
