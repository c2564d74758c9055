package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"time"
)

// CertSpec describes a certificate to issue.
type CertSpec struct {
	// CommonName is the subject's CN: the user of a client certificate.
	CommonName string
	// Organization is the subject's O: the groups of a client certificate.
	Organization []string
	// DNSNames and IPs are the subject alternative names a serving certificate is valid for.
	DNSNames []string
	IPs      []net.IP
	// Usages are the extended key usages: x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth.
	// At least one is required.
	Usages []x509.ExtKeyUsage
	// Validity is how long the certificate is valid from now (0: DefaultCertValidity). It never
	// outlives the CA.
	Validity time.Duration
}

// ServingSpec describes a serving certificate for name, valid for the given DNS names and IP
// addresses.
func ServingSpec(name string, dnsNames []string, ips []net.IP) CertSpec {
	return CertSpec{CommonName: name, DNSNames: dnsNames, IPs: ips, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
}

// ClientSpec describes a client certificate for user in groups, as Kubernetes reads one: the CN is
// the user name, every O a group.
func ClientSpec(user string, groups ...string) CertSpec {
	return CertSpec{CommonName: user, Organization: groups, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// Issue returns a new key and a certificate for it as spec describes, signed by ca.
func (ca *CA) Issue(spec CertSpec) (*KeyPair, error) {
	if spec.CommonName == "" {
		return nil, errors.New("issue certificate: common name is empty")
	}
	if len(spec.Usages) == 0 {
		return nil, fmt.Errorf("issue certificate %q: no key usage", spec.CommonName)
	}
	key, err := NewKey()
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	cert, err := ca.Sign(spec, &key.PublicKey)
	if err != nil {
		return nil, err
	}
	return &KeyPair{Cert: cert, Key: key}, nil
}

// Sign returns a certificate as spec describes for the public key pub, signed by ca. A signer of
// certificate requests uses it with the request's key.
func (ca *CA) Sign(spec CertSpec, pub any) (*x509.Certificate, error) {
	validity := spec.Validity
	if validity <= 0 {
		validity = DefaultCertValidity
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.CommonName, Organization: spec.Organization},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           spec.Usages,
		BasicConstraintsValid: true,
		DNSNames:              spec.DNSNames,
		IPAddresses:           spec.IPs,
		SubjectKeyId:          keyID(pub),
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	cert, err := sign(tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate %q: %w", spec.CommonName, err)
	}
	return cert, nil
}

// SelfSigned returns a self-signed serving certificate for host, valid for the given DNS names
// and IP addresses from now for validity (0: DefaultCertValidity): what a kubelet serves with when
// it was given none. A client trusts it only by holding this very certificate as a root.
func SelfSigned(host string, dnsNames []string, ips []net.IP, validity time.Duration) (*KeyPair, error) {
	if validity <= 0 {
		validity = DefaultCertValidity
	}
	key, err := NewKey()
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate for %s: %w", host, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate for %s: %w", host, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Named like the kubelet's own: host@unix-time, so that each one differs.
		Subject:               pkix.Name{CommonName: fmt.Sprintf("%s@%d", host, now.Unix())},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	cert, err := sign(tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate for %s: %w", host, err)
	}
	return &KeyPair{Cert: cert, Key: key}, nil
}
