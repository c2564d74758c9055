package server

import (
	"errors"
	"time"

	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is what a scheduler needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// Serving is where the health and metrics endpoint listens.
	config.Serving `mapstructure:",squash"`
	// APIServers are the API server endpoints (host:port) to talk to.
	APIServers []string `mapstructure:"apiserver"`
	// LeaderElect asks for leader election so that only one replica schedules at a time.
	LeaderElect bool `mapstructure:"leader-elect"`
}

// DefaultConfig returns the configuration a scheduler runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Serving:     config.Serving{BindAddress: "127.0.0.1", Port: 10259, ShutdownTimeout: 10 * time.Second},
		APIServers:  []string{"127.0.0.1:6443"},
		LeaderElect: true,
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	return errors.Join(c.Serving.Validate(), config.CheckEndpoints("apiserver", c.APIServers))
}
