package config

import (
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
)

// APIClient is how a daemon reaches the API server: today a list of endpoints the client balances
// over; credentials (a kubeconfig) belong here too when they come. Every daemon but the API server
// embeds it with `mapstructure:",squash"`.
type APIClient struct {
	// APIServers are the API server endpoints as host:port.
	APIServers []string `mapstructure:"apiserver"`
}

// DefaultAPIClient returns the API server a daemon talks to when nothing is set: the local one
// on Kubernetes' port.
func DefaultAPIClient() APIClient {
	return APIClient{APIServers: []string{"127.0.0.1:6443"}}
}

// AddFlags defines --apiserver on fs with a as its default.
func (a APIClient) AddFlags(fs *pflag.FlagSet) {
	fs.StringSlice("apiserver", a.APIServers, "API server endpoints as host:port, comma-separated")
}

// Validate reports a missing or malformed endpoint, naming its flag.
func (a APIClient) Validate() error {
	return CheckEndpoints("apiserver", a.APIServers)
}

// NewClient returns a client of the configured API servers that names itself userAgent. It does
// not wait for a connection; the caller closes it.
func (a APIClient) NewClient(userAgent string, lg *zap.Logger) (*client.Client, error) {
	return client.New(client.Config{Endpoints: a.APIServers, UserAgent: userAgent, Logger: lg})
}
