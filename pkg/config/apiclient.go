package config

import (
	"fmt"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// DefaultAPIServer is the API server a daemon talks to when neither --apiserver nor
// --kubeconfig names one: the local one on Kubernetes' port.
const DefaultAPIServer = "127.0.0.1:6443"

// APIClient is how a daemon reaches the API server: a kubeconfig (the servers, the CA and the
// daemon's credentials), a list of endpoints the client balances over, or both, the list then
// overriding the kubeconfig's servers. Every daemon but the API server embeds it with
// `mapstructure:",squash"`.
type APIClient struct {
	// APIServers are the API server endpoints as host:port. Empty: the kubeconfig's servers, or
	// DefaultAPIServer without a kubeconfig.
	APIServers []string `mapstructure:"apiserver"`
	// Kubeconfig is the kubeconfig file whose current context names the servers and the
	// credentials. Empty: plain text, no credentials.
	Kubeconfig string `mapstructure:"kubeconfig"`
}

// DefaultAPIClient returns the API client settings when nothing is set: no kubeconfig, the local
// API server.
func DefaultAPIClient() APIClient {
	// An empty list, not nil: what the flag decodes to when unset.
	return APIClient{APIServers: []string{}}
}

// AddFlags defines --apiserver and --kubeconfig on fs with a as their defaults.
func (a APIClient) AddFlags(fs *pflag.FlagSet) {
	fs.StringSlice("apiserver", a.APIServers, "API server endpoints as host:port, comma-separated; override the kubeconfig's servers (default "+DefaultAPIServer+" without --kubeconfig)")
	fs.String("kubeconfig", a.Kubeconfig, "kubeconfig file naming the API servers, their CA and this daemon's credentials (empty: plain text, no credentials)")
}

// Validate reports a malformed endpoint, naming its flag. The kubeconfig is read by
// ClientConfig.
func (a APIClient) Validate() error {
	if len(a.APIServers) == 0 {
		return nil
	}
	return CheckEndpoints("apiserver", a.APIServers)
}

// ClientConfig returns the client configuration a describes: the kubeconfig's servers, TLS and
// credentials, with the endpoints of --apiserver in place of its servers when given.
func (a APIClient) ClientConfig() (client.Config, error) {
	var cfg client.Config
	if a.Kubeconfig != "" {
		kc, err := kubeconfig.Load(a.Kubeconfig)
		if err != nil {
			return client.Config{}, fmt.Errorf("--kubeconfig: %w", err)
		}
		r, err := kc.Resolve("")
		if err != nil {
			return client.Config{}, fmt.Errorf("--kubeconfig %s: %w", a.Kubeconfig, err)
		}
		cfg = r.InFile(a.Kubeconfig).ClientConfig()
	}
	if len(a.APIServers) > 0 {
		cfg.Endpoints = a.APIServers
	}
	if len(cfg.Endpoints) == 0 {
		cfg.Endpoints = []string{DefaultAPIServer}
	}
	return cfg, nil
}

// NewClient returns a client of the configured API servers that names itself userAgent. It does
// not wait for a connection; the caller closes it.
func (a APIClient) NewClient(userAgent string, lg *zap.Logger) (*client.Client, error) {
	cfg, err := a.ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent, cfg.Logger = userAgent, lg
	return client.New(cfg)
}
