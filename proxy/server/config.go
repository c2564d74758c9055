package server

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is what a proxy needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// Serving is where the health endpoint (healthz) listens; the metrics endpoint shares its bind
	// address and shutdown timeout.
	config.Serving `mapstructure:",squash"`
	// MetricsPort is the port /metrics is served on; 0 picks a free one.
	MetricsPort int `mapstructure:"metrics-port"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`
	// HostnameOverride, when set, is the node name instead of the machine's host name.
	HostnameOverride string `mapstructure:"hostname-override"`
}

// DefaultConfig returns the configuration a proxy runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Serving:     config.Serving{BindAddress: "127.0.0.1", Port: 10256, ShutdownTimeout: 10 * time.Second},
		MetricsPort: 10249,
		APIClient:   config.DefaultAPIClient(),
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	_, nameErr := config.NodeName(c.HostnameOverride)
	var samePort error
	if c.Port != 0 && c.Port == c.MetricsPort {
		samePort = errors.New("--port and --metrics-port must differ")
	}
	return errors.Join(
		c.Serving.Validate(),
		config.CheckPort("metrics-port", c.MetricsPort),
		samePort,
		c.APIClient.Validate(),
		nameErr,
	)
}

// metricsAddress is the host:port the metrics endpoint listens on.
func (c Config) metricsAddress() string {
	return net.JoinHostPort(c.BindAddress, strconv.Itoa(c.MetricsPort))
}
