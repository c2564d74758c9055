package server

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/anonymous"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/bootstrap"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/clientcert"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/filter"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/satoken"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/tokenfile"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/pki"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
)

// The authorization modes --authorization-mode takes, as Kubernetes names them.
const (
	ModeAlwaysAllow = "AlwaysAllow"
	ModeAlwaysDeny  = "AlwaysDeny"
	ModeNode        = "Node"
	ModeRBAC        = "RBAC"
)

// supportedModes are the modes authorizerFor builds.
var supportedModes = []string{ModeAlwaysAllow, ModeAlwaysDeny, ModeNode, ModeRBAC}

// The authorization contract, for a Config.Authorizer that an embedder or a test sets.
type (
	// Authorizer judges requests.
	Authorizer = authz.Authorizer
	// AuthorizerFunc adapts a function to Authorizer.
	AuthorizerFunc = authz.Func
	// AuthorizationAttributes are what a request asks.
	AuthorizationAttributes = authz.Attributes
	// AuthorizationDecision is an Authorizer's answer.
	AuthorizationDecision = authz.Decision
)

// An Authorizer's answers.
const (
	DecisionNoOpinion = authz.NoOpinion
	DecisionAllow     = authz.Allow
	DecisionDeny      = authz.Deny
)

// Auth configures who may use the API server: authentication (who made a request) and
// authorization (whether they may do it). Every request from outside passes both, over REST and
// gRPC alike; the server's own work does not.
//
// Authentication is always on and asks, in Kubernetes' order, the verified client certificate,
// --token-auth-file, bootstrap tokens, service account tokens (with --service-account-key-file)
// and last the anonymous user. A credential that is present but not valid is refused with 401,
// whatever the path.
//
// The defaults are secure: --authorization-mode is Node,RBAC, so a user may do what the roles bound
// to it allow and a kubelet what its node needs. A request without a credential is anonymous and
// reaches only /healthz, /livez, /readyz, /version (and gRPC health); any other request without a
// credential is refused with 401. Only an embedded server serving plain text (ServePlainText, for
// tests) without any credential source (a token file, a service account key, a client CA) takes
// such a request for system:unsecured, in system:masters, as the plain-text port does.
// --anonymous-auth=false refuses anonymous requests everywhere.
type Auth struct {
	// AuthorizationModes are the authorizers asked in order; the first that allows or denies
	// decides, and a request none allows is refused with 403.
	AuthorizationModes []string `mapstructure:"authorization-mode"`
	// TokenAuthFile is a CSV file of static bearer tokens (token,user,uid,"group1,group2").
	TokenAuthFile string `mapstructure:"token-auth-file"`
	// AnonymousAuth lets requests without a credential in as system:anonymous.
	AnonymousAuth bool `mapstructure:"anonymous-auth"`
	// EnableBootstrapTokenAuth accepts bootstrap tokens (Secrets bootstrap-token-<id> in
	// kube-system), with which new kubelets join. Only an administrator can create such a Secret.
	EnableBootstrapTokenAuth bool `mapstructure:"enable-bootstrap-token-auth"`
	// ServiceAccountKeyFiles hold the public keys (or the private keys, or certificates) that
	// service account tokens are verified with; empty turns service account tokens off.
	ServiceAccountKeyFiles []string `mapstructure:"service-account-key-file"`
	// ServiceAccountIssuers are the issuers of bound service account tokens accepted (the first is
	// the one TokenRequest writes); empty accepts legacy secret-held tokens only.
	ServiceAccountIssuers []string `mapstructure:"service-account-issuer"`
	// APIAudiences are the audiences a bound token must name one of; empty is the first issuer.
	APIAudiences []string `mapstructure:"api-audiences"`
	// Authorizer, when set, replaces --authorization-mode's authorizers. It is untagged because
	// it is no flag: tests and embedders set it.
	Authorizer Authorizer
}

// DefaultAuth returns the defaults: authentication on, anonymous requests allowed (on the health
// and version paths once a credential source is configured), Node,RBAC.
func DefaultAuth() Auth {
	return Auth{AuthorizationModes: []string{ModeNode, ModeRBAC}, AnonymousAuth: true, EnableBootstrapTokenAuth: true}
}

// AddFlags defines the authentication and authorization flags on fs with a as defaults.
func (a Auth) AddFlags(fs *pflag.FlagSet) {
	fs.StringSlice("authorization-mode", a.AuthorizationModes, "authorizers asked in order, comma-separated, the first that allows or denies decides: "+strings.Join(supportedModes, ", "))
	fs.String("token-auth-file", a.TokenAuthFile, `CSV file of static bearer tokens, one a line: token,user,uid,"group1,group2"`)
	fs.Bool("anonymous-auth", a.AnonymousAuth, "let requests without a credential in as system:anonymous (only /healthz, /livez, /readyz and /version once a credential source is configured)")
	fs.Bool("enable-bootstrap-token-auth", a.EnableBootstrapTokenAuth, "accept bootstrap tokens (Secrets bootstrap-token-<id> in kube-system)")
	fs.StringSlice("service-account-key-file", a.ServiceAccountKeyFiles, "PEM files of the keys service account tokens are verified with (public or private keys, certificates); repeatable")
	fs.StringSlice("service-account-issuer", a.ServiceAccountIssuers, "issuers of bound service account tokens accepted, the first being the one tokens are issued with; repeatable")
	fs.StringSlice("api-audiences", a.APIAudiences, "audiences a bound service account token must name one of (empty: the first issuer)")
}

// Validate reports every invalid setting, naming its flag.
func (a Auth) Validate() error {
	var errs []error
	if len(a.AuthorizationModes) == 0 && a.Authorizer == nil {
		errs = append(errs, errors.New("--authorization-mode: at least one mode is required"))
	}
	for i, m := range a.AuthorizationModes {
		switch {
		case !slices.Contains(supportedModes, m):
			errs = append(errs, fmt.Errorf("--authorization-mode: unknown mode %q (supported: %s)", m, strings.Join(supportedModes, ", ")))
		case slices.Contains(a.AuthorizationModes[:i], m):
			errs = append(errs, fmt.Errorf("--authorization-mode: %q is listed twice", m))
		}
	}
	if len(a.ServiceAccountIssuers) > 0 && len(a.ServiceAccountKeyFiles) == 0 {
		errs = append(errs, errors.New("--service-account-issuer: needs --service-account-key-file to verify the tokens"))
	}
	return errors.Join(errs...)
}

// credentialSourceConfigured reports whether any credential source beyond bootstrap tokens is
// configured, which limits anonymous requests to the health and version paths even on an embedded
// server serving plain text. A client CA is such a source too.
func (a Auth) credentialSourceConfigured(clientCAFile string) bool {
	return a.TokenAuthFile != "" || len(a.ServiceAccountKeyFiles) > 0 || clientCAFile != ""
}

// newAuthFilter builds the authenticator chain the REST filter and the gRPC interceptors check
// requests with, and pairs it with modes, the --authorization-mode chain (Config.Auth.Authorizer
// replaces it when set). It reads the token file and the service account keys.
func (s *Server) newAuthFilter(reg *registry.Registry, modes authz.Authorizer) (filter.Config, error) {
	a := s.cfg.Auth
	getter := registryGetter(reg)
	var auths []authn.Authenticator
	if s.cfg.InsecurePort >= 0 {
		auths = append(auths, anonymous.PlainPort{Addr: s.InsecureAddr})
	}
	certs := clientcert.Authenticator{Clock: s.cfg.Clock}
	if s.cfg.ClientCAFile != "" {
		// The TLS handshake only asks for client certificates; this verifies them.
		roots, err := pki.ReadCertPool(s.cfg.ClientCAFile)
		if err != nil {
			return filter.Config{}, fmt.Errorf("--client-ca-file: %w", err)
		}
		certs.Roots, certs.Cache = roots, clientcert.NewCache(clientcert.DefaultCacheSize)
	}
	auths = append(auths, certs)
	var tokens []authn.Token
	if a.TokenAuthFile != "" {
		tf, err := tokenfile.Read(a.TokenAuthFile)
		if err != nil {
			return filter.Config{}, fmt.Errorf("--token-auth-file: %w", err)
		}
		tokens = append(tokens, tf)
	}
	if a.EnableBootstrapTokenAuth {
		tokens = append(tokens, bootstrap.New(getter, s.cfg.Clock))
	}
	if len(a.ServiceAccountKeyFiles) > 0 {
		keys, err := readPublicKeys(a.ServiceAccountKeyFiles)
		if err != nil {
			return filter.Config{}, err
		}
		sa, err := satoken.New(satoken.Config{
			Keys: keys, Issuers: a.ServiceAccountIssuers, Audiences: a.APIAudiences, Getter: getter, Clock: s.cfg.Clock,
		})
		if err != nil {
			return filter.Config{}, err
		}
		tokens = append(tokens, sa)
	}
	auths = append(auths, authn.BearerToken(tokens...))
	if a.AnonymousAuth {
		// Only an embedded server serving plain text (ServePlainText, no flag) without any
		// credential source trusts whoever reaches it, as the plain-text port does.
		plain := s.cfg.ServePlainText && s.cfg.TLSCertFile == ""
		auths = append(auths, anonymous.Authenticator{AllPaths: plain && !a.credentialSourceConfigured(s.cfg.ClientCAFile)})
	}

	authorizer := a.Authorizer
	if authorizer == nil {
		authorizer = modes
	}
	return filter.Config{Authenticator: authn.Chain(auths...), Authorizer: authorizer, Logger: s.lg.Named("auth")}, nil
}

// readPublicKeys reads the service account keys of every file.
func readPublicKeys(paths []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--service-account-key-file: %w", err)
		}
		k, err := serviceaccount.ParsePublicKeysPEM(data)
		if err != nil {
			return nil, fmt.Errorf("--service-account-key-file %s: %w", p, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}

// registryGetter reads the objects authenticators check from the registry's watch caches.
func registryGetter(reg *registry.Registry) authn.Getter {
	return authn.GetterFunc(func(ctx context.Context, gvr scheme.GroupVersionResource, namespace, name string) (scheme.Object, error) {
		st, err := reg.Store(gvr)
		if err != nil {
			return nil, err
		}
		return st.Get(ctx, namespace, name, registry.GetOptions{ResourceVersion: "0"})
	})
}
