package kubeconfig

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// CertificateFiles is a client certificate kept in a certificate file and a key file (they may
// be one file holding both) that are read again when they change: a renewed certificate written
// over the old one, as a kubelet's rotation or an operator's does, is presented from the next TLS
// handshake on, without a restart. It is safe for concurrent use.
type CertificateFiles struct {
	certFile, keyFile string

	mu      sync.Mutex
	stamp   [2]os.FileInfo
	current *tls.Certificate
}

// NewCertificateFiles reads the pair in certFile and keyFile. It fails when they cannot be read
// or do not belong together.
func NewCertificateFiles(certFile, keyFile string) (*CertificateFiles, error) {
	f := &CertificateFiles{certFile: certFile, keyFile: keyFile}
	if _, err := f.Certificate(); err != nil {
		return nil, err
	}
	return f, nil
}

// Certificate returns the pair as the files hold it now, reading them again when either changed
// since the last read. When the new contents cannot be used (a pair caught half-written, a key
// that does not match) it keeps returning the last good pair and the files are read again at the
// next call; only without a good pair is the failure returned.
func (f *CertificateFiles) Certificate() (*tls.Certificate, error) {
	stamp, err := f.stat()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && f.current != nil && same(stamp, f.stamp) {
		return f.current, nil
	}
	var kp *pki.KeyPair
	if err == nil {
		kp, err = pki.ReadKeyPair(f.certFile, f.keyFile)
	}
	if err != nil {
		if f.current != nil {
			return f.current, nil
		}
		return nil, fmt.Errorf("client certificate %s, key %s: %w", f.certFile, f.keyFile, err)
	}
	c := kp.TLSCertificate()
	f.current, f.stamp = &c, stamp
	return f.current, nil
}

// GetClientCertificate serves the pair to a TLS handshake (tls.Config.GetClientCertificate).
func (f *CertificateFiles) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return f.Certificate()
}

func (f *CertificateFiles) stat() ([2]os.FileInfo, error) {
	var s [2]os.FileInfo
	for i, name := range []string{f.certFile, f.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return s, err
		}
		s[i] = fi
	}
	return s, nil
}

// same reports whether both files are the versions read before: the same file (a write through
// a renamed temporary file makes a new one), modified at the same time, of the same size.
func same(now, before [2]os.FileInfo) bool {
	for i := range now {
		if before[i] == nil || !os.SameFile(now[i], before[i]) || !now[i].ModTime().Equal(before[i].ModTime()) ||
			now[i].Size() != before[i].Size() {
			return false
		}
	}
	return true
}
