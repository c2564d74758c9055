package csr

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEM block types of requests and certificates.
const (
	RequestBlockType     = "CERTIFICATE REQUEST"
	CertificateBlockType = "CERTIFICATE"
)

// ParseRequest decodes the one PEM CERTIFICATE REQUEST block of b and checks its signature, so a
// request proves that its author holds the private key.
func ParseRequest(b []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	if block.Type != RequestBlockType {
		return nil, fmt.Errorf("PEM block type must be CERTIFICATE REQUEST, not %s", block.Type)
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate request: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("check certificate request signature: %w", err)
	}
	return req, nil
}

// EncodeRequest returns der, a DER certificate request, as a PEM block.
func EncodeRequest(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: RequestBlockType, Bytes: der})
}

// ParseCertificates decodes every PEM CERTIFICATE block of b, leaf first. It fails when b holds
// none, or a block of another type.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != CertificateBlockType {
			return nil, fmt.Errorf("PEM block type must be CERTIFICATE, not %s", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	return certs, nil
}
