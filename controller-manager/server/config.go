package server

import (
	"errors"
	"time"

	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is what a controller manager needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// Serving is where the health and metrics endpoint listens.
	config.Serving `mapstructure:",squash"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`
	// LeaderElection says whether and how replicas elect the one that runs controllers.
	config.LeaderElection `mapstructure:",squash"`
	// Controllers selects the controllers and sets their workers (--controllers,
	// --concurrent-replicaset-syncs, ...).
	Controllers manager.Config `mapstructure:",squash"`
}

// DefaultConfig returns the configuration a controller manager runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Serving:        config.Serving{BindAddress: "127.0.0.1", Port: 10257, ShutdownTimeout: 10 * time.Second},
		APIClient:      config.DefaultAPIClient(),
		LeaderElection: config.DefaultLeaderElection("keelson-controller-manager"),
		Controllers:    manager.DefaultConfig(),
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	return errors.Join(c.Serving.Validate(), c.APIClient.Validate(), c.LeaderElection.Validate(),
		c.Controllers.Validate(ControllerNames()))
}
