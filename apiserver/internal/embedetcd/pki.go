package embedetcd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The file names GeneratePKI writes under its directory, as kubeadm names the etcd certificates.
const (
	CAFile           = "ca.crt"
	CAKeyFile        = "ca.key"
	ServerCertFile   = "server.crt"
	ServerKeyFile    = "server.key"
	ClientCertFile   = "apiserver-etcd-client.crt"
	ClientKeyFile    = "apiserver-etcd-client.key"
	clientCommonName = "system:apiserver"
)

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	// renewBefore is how long before its expiry a generated leaf certificate is issued anew.
	renewBefore = 30 * 24 * time.Hour
)

// GeneratePKI makes sure dir holds a private CA, a serving certificate for the member (valid for
// 127.0.0.1, ::1 and localhost, for clients and peers alike) and a client certificate for the API
// server (CN system:apiserver), and returns the member's TLS files. What is already there and
// valid is kept, so clients holding the CA or the client certificate keep working across restarts;
// a leaf certificate that expires within 30 days, or does not load, is issued anew. Keys are ECDSA
// P-256 (quick to make: the member starts in every test) and written 0600.
func GeneratePKI(dir string, now time.Time) (TLS, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return TLS{}, fmt.Errorf("etcd pki in %s: %w", dir, err)
	}
	ca, caKey, err := loadPair(filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile))
	fresh := false
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if ca, caKey, err = newCA(dir, now); err != nil {
			return TLS{}, err
		}
		fresh = true
	case err != nil:
		return TLS{}, fmt.Errorf("etcd pki in %s: %w", dir, err)
	}
	leaves := []struct {
		cert, key string
		tmpl      *x509.Certificate
	}{
		{ServerCertFile, ServerKeyFile, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "keelson-etcd"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}},
		{ClientCertFile, ClientKeyFile, &x509.Certificate{
			Subject:     pkix.Name{CommonName: clientCommonName},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
	}
	for _, l := range leaves {
		certPath, keyPath := filepath.Join(dir, l.cert), filepath.Join(dir, l.key)
		if !fresh && leafValid(certPath, keyPath, ca, now) {
			continue
		}
		if err := issue(certPath, keyPath, l.tmpl, ca, caKey, now, leafValidity); err != nil {
			return TLS{}, err
		}
	}
	return TLS{
		CertFile:      filepath.Join(dir, ServerCertFile),
		KeyFile:       filepath.Join(dir, ServerKeyFile),
		TrustedCAFile: filepath.Join(dir, CAFile),
	}, nil
}

// newCA writes a self-signed CA into dir.
func newCA(dir string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "keelson-etcd-ca"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	if err := issue(certPath, keyPath, tmpl, nil, nil, now, caValidity); err != nil {
		return nil, nil, err
	}
	return loadPair(certPath, keyPath)
}

// issue makes a key and a certificate from tmpl signed by ca (self-signed when ca is nil), and
// writes both, the key 0600.
func issue(certPath, keyPath string, tmpl, ca *x509.Certificate, caKey crypto.Signer, now time.Time, validity time.Duration) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key for %s: %w", certPath, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("serial for %s: %w", certPath, err)
	}
	tmpl.SerialNumber = serial
	// A little slack for clocks that disagree.
	tmpl.NotBefore = now.Add(-5 * time.Minute)
	tmpl.NotAfter = now.Add(validity)
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	parent, signer := ca, caKey
	if ca == nil {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return fmt.Errorf("sign %s: %w", certPath, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key for %s: %w", certPath, err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFile replaces path with data through a temporary file, so a crash leaves the old file or
// the new one, never half of one.
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// loadPair reads a PEM certificate and its PKCS#8 key. A missing file is fs.ErrNotExist.
func loadPair(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	cert, err := loadCert(certPath)
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", keyPath, err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, nil, fmt.Errorf("%s: no PEM block", keyPath)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %T is not a signing key", keyPath, key)
	}
	return cert, signer, nil
}

func loadCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, nil
}

// leafValid reports whether the pair at certPath and keyPath loads, matches, is signed by ca and stays
// valid for longer than renewBefore.
func leafValid(certPath, keyPath string, ca *x509.Certificate, now time.Time) bool {
	cert, key, err := loadPair(certPath, keyPath)
	if err != nil || cert.CheckSignatureFrom(ca) != nil {
		return false
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(cert.PublicKey) {
		return false
	}
	return now.Add(renewBefore).Before(cert.NotAfter)
}
