package server

import (
	"errors"
	"time"

	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is what a kubelet needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// Serving is where the health (healthz) and metrics endpoint listens.
	config.Serving `mapstructure:",squash"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`
	// HostnameOverride, when set, is the node name instead of the machine's host name.
	HostnameOverride string `mapstructure:"hostname-override"`
}

// DefaultConfig returns the configuration a kubelet runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Serving:   config.Serving{BindAddress: "127.0.0.1", Port: 10248, ShutdownTimeout: 10 * time.Second},
		APIClient: config.DefaultAPIClient(),
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	_, nameErr := config.NodeName(c.HostnameOverride)
	return errors.Join(c.Serving.Validate(), c.APIClient.Validate(), nameErr)
}
