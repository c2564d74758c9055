package server

import (
	"crypto/tls"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// Credentials builds the API clients of a kubelet that bootstraps its client certificate.
type Credentials interface {
	// Bootstrap returns a client that authenticates with the credentials of the bootstrap
	// kubeconfig at path. The caller closes it.
	Bootstrap(path, userAgent string, lg *zap.Logger) (*client.Client, error)
	// Certified returns a client of the servers of the kubeconfig at path (the bootstrap
	// kubeconfig, or a valid --kubeconfig), checked against its CA, that presents at every
	// handshake the certificate cert returns and none of the kubeconfig's credentials, and a
	// function that drops its connections so that they reconnect with a renewed certificate. The
	// caller closes the client.
	Certified(path, userAgent string, cert func(*tls.CertificateRequestInfo) (*tls.Certificate, error), lg *zap.Logger) (*client.Client, func(), error)
}

// UseCredentials makes the kubelet build its clients with cr when it bootstraps, instead of the
// bootstrap kubeconfig's. Call it before Run.
func (s *Server) UseCredentials(cr Credentials) { s.credentials = cr }

// kubeconfigCredentials is the default Credentials, Kubernetes' kubelet's: each client reaches the
// servers of its kubeconfig's current context, or the endpoints of --apiserver in their place as
// for every daemon, and checks them against its CA. The
// bootstrap client authenticates with the kubeconfig's credentials (the bootstrap token); the
// certified one with the kubelet's own certificate only. Against an http:// server there is no
// TLS: the bootstrap token is not sent in clear text and no certificate can be presented, so the
// requests are anonymous to the server (a development set-up whose requests an administrator
// approves).
type kubeconfigCredentials struct {
	endpoints []string // --apiserver: when set, these instead of the kubeconfigs' servers
}

func (k kubeconfigCredentials) Bootstrap(path, userAgent string, lg *zap.Logger) (*client.Client, error) {
	cfg, err := bootstrapClientConfig(path, k.endpoints, lg)
	if err != nil {
		return nil, err
	}
	cfg.UserAgent, cfg.Logger = userAgent, lg
	return client.New(cfg)
}

func (k kubeconfigCredentials) Certified(path, userAgent string, cert func(*tls.CertificateRequestInfo) (*tls.Certificate, error), lg *zap.Logger) (*client.Client, func(), error) {
	cfg, err := certifiedClientConfig(path, k.endpoints, cert, lg)
	if err != nil {
		return nil, nil, err
	}
	cfg.UserAgent, cfg.Logger = userAgent, lg
	c, err := client.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.CloseConnections() }, nil
}

// bootstrapClientConfig is the configuration of the bootstrap client: the bootstrap kubeconfig's
// servers (or endpoints, when given), CA and credentials, without its token against a
// plain-text server.
func bootstrapClientConfig(path string, endpoints []string, lg *zap.Logger) (client.Config, error) {
	r, err := resolveKubeconfig("--bootstrap-kubeconfig", path)
	if err != nil {
		return client.Config{}, err
	}
	cfg := r.ClientConfig()
	if len(endpoints) > 0 {
		cfg.Endpoints = endpoints
	}
	if !r.Secure && cfg.BearerToken != "" {
		lg.Warn("the bootstrap kubeconfig names a plain-text server: its token is not sent", zap.String("kubeconfig", path))
		cfg.BearerToken = ""
	}
	return cfg, nil
}

// certifiedClientConfig is the configuration of the client that presents the certificate cert
// returns: the servers (or endpoints, when given) and CA of the kubeconfig at path, none of its
// credentials.
func certifiedClientConfig(path string, endpoints []string, cert func(*tls.CertificateRequestInfo) (*tls.Certificate, error), lg *zap.Logger) (client.Config, error) {
	r, err := resolveKubeconfig("kubeconfig", path)
	if err != nil {
		return client.Config{}, err
	}
	cfg := client.Config{Endpoints: r.Endpoints}
	if len(endpoints) > 0 {
		cfg.Endpoints = endpoints
	}
	if !r.Secure {
		lg.Warn("the kubeconfig names a plain-text server: the client certificate is not presented", zap.String("kubeconfig", path))
		return cfg, nil
	}
	cfg.TLS = r.TLS.Clone()
	cfg.TLS.Certificates = nil
	cfg.TLS.GetClientCertificate = cert
	return cfg, nil
}

// resolveKubeconfig reads the kubeconfig at path and resolves its current context; errors name
// it as what (its flag).
func resolveKubeconfig(what, path string) (*kubeconfig.Resolved, error) {
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	r, err := kc.Resolve("")
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return r, nil
}
