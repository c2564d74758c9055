package csr

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Identity of kubelets, as certificates carry it.
const (
	// NodeUserPrefix starts a kubelet's common name: system:node:<node name>.
	NodeUserPrefix = "system:node:"
	// NodesGroup is a kubelet's one organization.
	NodesGroup = "system:nodes"
)

// KubeletClientUsages are the usages a kubelet asks for its client certificate: exactly these,
// plus key encipherment for an RSA key, in any order.
var KubeletClientUsages = []string{UsageDigitalSignature, UsageClientAuth}

// NodeName returns the node a kubelet common name names, or false when cn is not one.
func NodeName(cn string) (string, bool) {
	name, ok := strings.CutPrefix(cn, NodeUserPrefix)
	return name, ok && name != ""
}

// ValidateKubeletClient checks a request for the kubernetes.io/kube-apiserver-client-kubelet
// signer: subject CN=system:node:<name>, O=system:nodes and nothing else, no subject alternative
// names, and usages digital signature and client auth (key encipherment allowed, for RSA keys).
func ValidateKubeletClient(req *x509.CertificateRequest, usages []string) error {
	if err := validateNodeSubject(req); err != nil {
		return err
	}
	if len(req.DNSNames) > 0 || len(req.EmailAddresses) > 0 || len(req.IPAddresses) > 0 || len(req.URIs) > 0 {
		return errors.New("subject alternative names are not allowed")
	}
	return checkUsages(usages, UsageClientAuth, UsageDigitalSignature, UsageKeyEncipherment)
}

// ValidateKubeletServing checks a request for the kubernetes.io/kubelet-serving signer: the node
// subject, at least one DNS name or IP address and no email or URI, and usages server auth with
// digital signature and key encipherment allowed.
func ValidateKubeletServing(req *x509.CertificateRequest, usages []string) error {
	if err := validateNodeSubject(req); err != nil {
		return err
	}
	if len(req.EmailAddresses) > 0 || len(req.URIs) > 0 {
		return errors.New("email and URI subject alternative names are not allowed")
	}
	if len(req.DNSNames) == 0 && len(req.IPAddresses) == 0 {
		return errors.New("at least one DNS or IP subject alternative name is required")
	}
	return checkUsages(usages, UsageServerAuth, UsageDigitalSignature, UsageKeyEncipherment)
}

// ValidateAPIServerClient checks a request for the kubernetes.io/kube-apiserver-client signer: a
// common name, and usages client auth with digital signature and key encipherment allowed.
func ValidateAPIServerClient(req *x509.CertificateRequest, usages []string) error {
	if req.Subject.CommonName == "" {
		return errors.New("subject common name is required")
	}
	return checkUsages(usages, UsageClientAuth, UsageDigitalSignature, UsageKeyEncipherment)
}

func validateNodeSubject(req *x509.CertificateRequest) error {
	if !slices.Equal(req.Subject.Organization, []string{NodesGroup}) {
		return fmt.Errorf("subject organization must be exactly [%s], not %v", NodesGroup, req.Subject.Organization)
	}
	if _, ok := NodeName(req.Subject.CommonName); !ok {
		return fmt.Errorf("subject common name must begin with %q and name a node, not %q", NodeUserPrefix, req.Subject.CommonName)
	}
	return nil
}

// checkUsages requires usages to hold required and nothing beyond it and allowed.
func checkUsages(usages []string, required string, allowed ...string) error {
	if !slices.Contains(usages, required) {
		return fmt.Errorf("usages must include %q", required)
	}
	for _, u := range usages {
		if u != required && !slices.Contains(allowed, u) {
			return fmt.Errorf("usage %q is not allowed: only %q and %v", u, required, allowed)
		}
	}
	return nil
}
