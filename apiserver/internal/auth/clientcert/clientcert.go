// Package clientcert authenticates a request by its client certificate, as Kubernetes' x509
// authenticator does: the certificate must chain to the client CA (--client-ca-file) for client
// authentication and be valid at the time of the request; its common name names the user and
// its organizations the groups.
//
// The apiserver asks for client certificates in the TLS handshake without verifying them
// (tls.RequestClientCert, as Kubernetes' apiserver does), so that a certificate the cluster does
// not trust is refused here with Kubernetes' 401 and a message that says which certificate was
// refused and why, rather than by a TLS alert the client cannot explain.
package clientcert

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// ErrNoCommonName refuses a verified certificate that names no user.
var ErrNoCommonName = errors.New("the client certificate has no common name to name its user")

// ErrExpired refuses a chain a certificate of which is not valid at the time of the request.
var ErrExpired = errors.New("x509: certificate has expired or is not yet valid")

// ErrUnknownAuthority refuses a client certificate that does not chain to the client CA.
var ErrUnknownAuthority = errors.New("x509: certificate signed by unknown authority")

// ErrInvalid refuses a client certificate the client CA does not accept for another reason (a
// certificate not for client authentication, a malformed chain).
var ErrInvalid = errors.New("x509: the client certificate is not valid")

// Authenticator is the x509 client certificate authenticator. Its zero value accepts only chains
// the TLS handshake verified.
type Authenticator struct {
	// Roots is the client CA bundle presented certificates are verified against; nil ignores
	// certificates the handshake did not verify, as an apiserver without --client-ca-file does.
	Roots *x509.CertPool
	// Clock tells the time of a request (default the real clock).
	Clock clock.Clock
	// Cache, when set, keeps the chains verifying against Roots found (see Cache).
	Cache *Cache

	// onVerify, when set, is called each time presented certificates are verified against Roots,
	// so that a test can tell a chain answered from the Cache from one verified again.
	onVerify func()
}

var _ authn.Authenticator = Authenticator{}

// Authenticate returns the user of the request's client certificate; a request without one is
// not its kind. A chain the TLS handshake verified (VerifiedChains) is taken as it is, its
// validity periods checked again; otherwise the presented certificates (PeerCertificates) are
// verified against Roots at the time of the request. Validity is checked at each request, as
// Kubernetes' x509 authenticator does, so that a connection opened with a certificate stops
// authenticating once that certificate expires and a client has to reconnect with a renewed one.
//
// A refused certificate fails with an error that wraps ErrExpired, ErrUnknownAuthority or
// ErrInvalid and describes the certificate (subject, issuer, validity) and what to do. It tells the
// client nothing its own certificate does not.
func (a Authenticator) Authenticate(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
	now := time.Now()
	if a.Clock != nil {
		now = a.Clock.Now()
	}
	chain, ok, err := a.chain(req, now)
	if !ok || err != nil {
		return nil, false, err
	}
	for _, c := range chain {
		if c != nil && (now.Before(c.NotBefore) || now.After(c.NotAfter)) {
			return nil, false, expired(chain[0], c, now)
		}
	}
	leaf := chain[0]
	if leaf.Subject.CommonName == "" {
		return nil, false, ErrNoCommonName
	}
	return &user.Info{Name: leaf.Subject.CommonName, Groups: slices.Clone(leaf.Subject.Organization)}, true, nil
}

// chain returns the chain of the request's client certificate: the first the handshake verified,
// else the first that verifying PeerCertificates against Roots finds.
func (a Authenticator) chain(req *authn.Request, now time.Time) ([]*x509.Certificate, bool, error) {
	if len(req.VerifiedChains) > 0 && len(req.VerifiedChains[0]) > 0 && req.VerifiedChains[0][0] != nil {
		return req.VerifiedChains[0], true, nil
	}
	if a.Roots == nil || len(req.PeerCertificates) == 0 || req.PeerCertificates[0] == nil {
		return nil, false, nil
	}
	var k [sha256.Size]byte
	if a.Cache != nil {
		k = key(req.PeerCertificates)
		if chain, ok := a.Cache.chains.Get(k); ok {
			return chain, true, nil
		}
	}
	leaf := req.PeerCertificates[0]
	intermediates := x509.NewCertPool()
	for _, c := range req.PeerCertificates[1:] {
		if c != nil {
			intermediates.AddCert(c)
		}
	}
	if a.onVerify != nil {
		a.onVerify()
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots: a.Roots, Intermediates: intermediates, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err == nil {
		if a.Cache != nil {
			a.Cache.chains.Put(k, chains[0])
		}
		return chains[0], true, nil
	}
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return nil, false, expired(leaf, invalid.Cert, now)
	case errors.As(err, &unknown):
		return nil, false, fmt.Errorf("%w: the client certificate %s is not signed by a CA of the apiserver's --client-ca-file: "+
			"use a certificate that the cluster CA signed", ErrUnknownAuthority, Describe(leaf))
	default:
		return nil, false, fmt.Errorf("%w: the client certificate %s: %w", ErrInvalid, Describe(leaf), err)
	}
}

// expired is the error of leaf's chain, which holds c, not valid at now because of c.
func expired(leaf, c *x509.Certificate, now time.Time) error {
	what := "the client certificate " + Describe(leaf)
	if c != nil && c != leaf {
		what += ", through its issuer " + Describe(c) + ","
	}
	when := "has expired"
	if c != nil && now.Before(c.NotBefore) {
		when = "is not valid yet"
	}
	return fmt.Errorf("%w: %s %s (the apiserver's time is %s): renew the certificate", ErrExpired, what, when,
		now.UTC().Format(time.RFC3339))
}

// Describe names c for an error message: its subject's common name and organizations, its
// issuer's common name and its validity.
func Describe(c *x509.Certificate) string {
	if c == nil {
		return "(none)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CN=%q", c.Subject.CommonName)
	if len(c.Subject.Organization) > 0 {
		fmt.Fprintf(&b, " O=%q", c.Subject.Organization)
	}
	fmt.Fprintf(&b, " (issuer CN=%q, valid %s to %s)", c.Issuer.CommonName,
		c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	return b.String()
}
