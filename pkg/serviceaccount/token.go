package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// LegacyIssuer is the issuer of the tokens the token controller writes into secrets.
const LegacyIssuer = "kubernetes/serviceaccount"

// ErrInvalidToken is wrapped by every Verify failure.
var ErrInvalidToken = errors.New("invalid service account token")

// LegacyClaims are the claims of a secret-held service account token, as Kubernetes names them.
type LegacyClaims struct {
	Issuer             string `json:"iss"`
	Subject            string `json:"sub"`
	Namespace          string `json:"kubernetes.io/serviceaccount/namespace"`
	SecretName         string `json:"kubernetes.io/serviceaccount/secret.name"`
	ServiceAccountName string `json:"kubernetes.io/serviceaccount/service-account.name"`
	ServiceAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid"`
}

// NewLegacyClaims returns the claims of the token in secret secretName for the service account
// namespace/name with uid.
func NewLegacyClaims(namespace, name, uid, secretName string) LegacyClaims {
	return LegacyClaims{
		Issuer: LegacyIssuer, Subject: Username(namespace, name), Namespace: namespace,
		SecretName: secretName, ServiceAccountName: name, ServiceAccountUID: uid,
	}
}

// Username is the user a service account authenticates as.
func Username(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Signer signs service account tokens with one private key. It is safe for concurrent use.
type Signer struct {
	signer jose.Signer
}

// NewSigner returns a signer with key: RSA keys sign with RS256, ECDSA keys with ES256, ES384 or
// ES512 by curve. Tokens carry the key's id (see KeyID) in their header.
func NewSigner(key crypto.Signer) (*Signer, error) {
	alg, err := algorithm(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("service account signer: %w", err)
	}
	return &Signer{signer: s}, nil
}

// Sign returns the compact JWT of claims.
func (s *Signer) Sign(claims LegacyClaims) (string, error) {
	tok, err := jwt.Signed(s.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign service account token: %w", err)
	}
	return tok, nil
}

// Verify checks that token is a legacy service account token signed by one of keys and returns
// its claims. It checks the signature, the issuer and that every claim is present and the
// subject agrees with the account; whether the account and secret still exist is the caller's
// to check.
func Verify(token string, keys ...crypto.PublicKey) (*LegacyClaims, error) {
	var claims LegacyClaims
	if err := verifySignature(token, &claims, keys); err != nil {
		return nil, err
	}
	switch {
	case claims.Issuer != LegacyIssuer:
		return nil, fmt.Errorf("%w: issuer %q, want %q", ErrInvalidToken, claims.Issuer, LegacyIssuer)
	case claims.Namespace == "" || claims.ServiceAccountName == "" || claims.ServiceAccountUID == "" || claims.SecretName == "":
		return nil, fmt.Errorf("%w: a service account claim is missing", ErrInvalidToken)
	case claims.Subject != Username(claims.Namespace, claims.ServiceAccountName):
		return nil, fmt.Errorf("%w: subject %q does not name the service account", ErrInvalidToken, claims.Subject)
	}
	return &claims, nil
}

// KeyID is the id tokens signed with key carry: the unpadded base64url SHA-256 of the public
// key's PKIX encoding, as Kubernetes derives it.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("service account key id: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

func algorithm(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
		return "", fmt.Errorf("service account key: unsupported ECDSA curve %s", k.Curve.Params().Name)
	default:
		return "", fmt.Errorf("service account key: a %T cannot sign tokens: use RSA or ECDSA", pub)
	}
}
