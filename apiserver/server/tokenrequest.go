package server

import (
	"errors"

	"github.com/spf13/pflag"

	saadmission "github.com/keelson-dev/keelson/apiserver/internal/admission/serviceaccount"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/tokenrequest"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
)

// TokenRequest configures the serviceaccounts/token subresource, which issues bound service
// account tokens. It is served only when a signing key is set.
type TokenRequest struct {
	// SigningKeyFile is the PEM file of the private key tokens are signed with; empty serves no
	// TokenRequest.
	SigningKeyFile string `mapstructure:"service-account-signing-key-file"`
}

// AddFlags defines the TokenRequest flags on fs with t as defaults.
func (t TokenRequest) AddFlags(fs *pflag.FlagSet) {
	fs.String("service-account-signing-key-file", t.SigningKeyFile, "PEM file of the private key service account tokens are issued with (TokenRequest); empty serves no TokenRequest")
}

// Validate reports a signing key without an issuer (--service-account-issuer, of Auth: the first
// issuer signs the tokens issued, and --api-audiences are their audiences when a request names none).
func (t TokenRequest) Validate(a Auth) error {
	if t.SigningKeyFile != "" && len(a.ServiceAccountIssuers) == 0 {
		return errors.New("--service-account-issuer: required with --service-account-signing-key-file")
	}
	return nil
}

// buildTokenRequest makes reg serve serviceaccounts/token when a signing key is configured, and
// adds ServiceAccount admission, which gives pods the projected volume of such a token.
func (s *Server) buildTokenRequest(reg *registry.Registry) error {
	t, a := s.cfg.TokenRequest, s.cfg.Auth
	if t.SigningKeyFile == "" {
		return nil
	}
	key, err := serviceaccount.ReadPrivateKeyFile(t.SigningKeyFile)
	if err != nil {
		return err
	}
	signer, err := serviceaccount.NewSigner(key)
	if err != nil {
		return err
	}
	is, err := tokenrequest.NewForRegistry(reg, tokenrequest.Config{
		Signer: signer, Issuer: a.ServiceAccountIssuers[0], Audiences: a.APIAudiences, Clock: s.cfg.Clock,
	})
	if err != nil {
		return err
	}
	reg.SetTokenIssuer(is)
	// Pods get a projected token volume only where tokens can be issued for it.
	accounts, err := saadmission.New(reg)
	if err != nil {
		return err
	}
	reg.AddMutation(accounts)
	return nil
}
