package manager

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// Config holds the settings controllers read from the command line. The mapstructure tags are the
// flag names.
type Config struct {
	// Controllers selects the controllers to run as kube-controller-manager's --controllers does:
	// "*" is every controller, "name" enables one and "-name" disables one.
	Controllers []string `mapstructure:"controllers"`
	// ConcurrentReplicaSetSyncs is how many replica sets are reconciled at once.
	ConcurrentReplicaSetSyncs int `mapstructure:"concurrent-replicaset-syncs"`
	// ConcurrentRCSyncs is how many replication controllers are reconciled at once.
	ConcurrentRCSyncs int `mapstructure:"concurrent-rc-syncs"`
}

// DefaultConfig returns the settings of kube-controller-manager: every controller, five workers
// each.
func DefaultConfig() Config {
	return Config{Controllers: []string{"*"}, ConcurrentReplicaSetSyncs: 5, ConcurrentRCSyncs: 5}
}

// AddFlags adds the controller flags to fs with c's values as defaults.
func (c Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringSlice("controllers", c.Controllers,
		"controllers to run: '*' runs every controller, 'foo' enables the controller named foo, '-foo' disables it")
	fs.Int("concurrent-replicaset-syncs", c.ConcurrentReplicaSetSyncs, "replica sets reconciled at once")
	fs.Int("concurrent-rc-syncs", c.ConcurrentRCSyncs, "replication controllers reconciled at once")
}

// Validate reports every invalid setting, naming its flag. known are the registered controller
// names that --controllers may name.
func (c Config) Validate(known []string) error {
	var errs []error
	if _, err := Select(c.Controllers, known); err != nil {
		errs = append(errs, err)
	}
	if c.ConcurrentReplicaSetSyncs < 1 {
		errs = append(errs, fmt.Errorf("--concurrent-replicaset-syncs must be at least 1, not %d", c.ConcurrentReplicaSetSyncs))
	}
	if c.ConcurrentRCSyncs < 1 {
		errs = append(errs, fmt.Errorf("--concurrent-rc-syncs must be at least 1, not %d", c.ConcurrentRCSyncs))
	}
	return errors.Join(errs...)
}
