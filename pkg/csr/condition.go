package csr

import (
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// Condition types of a request.
const (
	Approved = "Approved"
	Denied   = "Denied"
	Failed   = "Failed"
)

// Condition returns the condition of type t of r, or nil.
func Condition(r *certificatesv1.CertificateSigningRequest, t string) *certificatesv1.CertificateSigningRequestCondition {
	for _, c := range r.GetStatus().GetConditions() {
		if c.GetType() == t {
			return c
		}
	}
	return nil
}

// Has reports whether r holds a condition of type t with status True (or no status, which
// Kubernetes reads as True).
func Has(r *certificatesv1.CertificateSigningRequest, t string) bool {
	c := Condition(r, t)
	return c != nil && (c.GetStatus() == "" || c.GetStatus() == "True")
}

// Pending reports whether r waits for a decision: neither approved nor denied nor failed.
func Pending(r *certificatesv1.CertificateSigningRequest) bool {
	return !Has(r, Approved) && !Has(r, Denied) && !Has(r, Failed)
}
