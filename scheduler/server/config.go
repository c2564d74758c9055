package server

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is what a scheduler needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// BindAddress is the IP address the health and metrics endpoint listens on.
	BindAddress string `mapstructure:"bind-address"`
	// Port is the health and metrics port; 0 picks a free one.
	Port int `mapstructure:"port"`
	// APIServers are the API server endpoints (host:port) to talk to.
	APIServers []string `mapstructure:"apiserver"`
	// LeaderElect asks for leader election so that only one replica schedules at a time.
	LeaderElect bool `mapstructure:"leader-elect"`
	// ShutdownTimeout bounds how long Run waits for in-flight work once its context ends.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
}

// DefaultConfig returns the configuration a scheduler runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		BindAddress:     "127.0.0.1",
		Port:            10259,
		APIServers:      []string{"127.0.0.1:6443"},
		LeaderElect:     true,
		ShutdownTimeout: 10 * time.Second,
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	return errors.Join(
		config.CheckIP("bind-address", c.BindAddress),
		config.CheckPort("port", c.Port),
		config.CheckEndpoints("apiserver", c.APIServers),
		config.CheckPositive("shutdown-timeout", c.ShutdownTimeout),
	)
}

// healthAddress is the host:port the health endpoint listens on.
func (c Config) healthAddress() string {
	return net.JoinHostPort(c.BindAddress, strconv.Itoa(c.Port))
}
