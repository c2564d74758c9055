package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// LeaderElection is how replicas of a daemon elect the one that works, under Kubernetes' flag
// names (--leader-elect, --leader-elect-lease-duration, ...). pkg/leaderelection runs the election
// it describes. Daemons embed it with `mapstructure:",squash"`.
type LeaderElection struct {
	// LeaderElect asks for leader election, so that only one replica works at a time.
	LeaderElect bool `mapstructure:"leader-elect"`
	// LeaseDuration is how long a standby waits after the last renewal before it takes the lease;
	// RenewDeadline is how long the leader keeps trying to renew before it stops leading;
	// RetryPeriod is the pause between attempts. LeaseDuration > RenewDeadline > RetryPeriod > 0.
	LeaseDuration time.Duration `mapstructure:"leader-elect-lease-duration"`
	RenewDeadline time.Duration `mapstructure:"leader-elect-renew-deadline"`
	RetryPeriod   time.Duration `mapstructure:"leader-elect-retry-period"`
	// ResourceNamespace and ResourceName name the Lease the replicas compete for.
	ResourceNamespace string `mapstructure:"leader-elect-resource-namespace"`
	ResourceName      string `mapstructure:"leader-elect-resource-name"`
}

// DefaultLeaderElection returns Kubernetes' election defaults (on; 15 s lease, 10 s renew
// deadline, 2 s retry; the Lease in kube-system) for the Lease named resourceName.
func DefaultLeaderElection(resourceName string) LeaderElection {
	return LeaderElection{
		LeaderElect:       true,
		LeaseDuration:     15 * time.Second,
		RenewDeadline:     10 * time.Second,
		RetryPeriod:       2 * time.Second,
		ResourceNamespace: "kube-system",
		ResourceName:      resourceName,
	}
}

// AddFlags defines the --leader-elect* flags on fs with l as defaults.
func (l LeaderElection) AddFlags(fs *pflag.FlagSet) {
	fs.Bool("leader-elect", l.LeaderElect, "elect a leader among replicas so that only one works at a time")
	fs.Duration("leader-elect-lease-duration", l.LeaseDuration, "how long a standby waits after the last renewal before it takes the lease")
	fs.Duration("leader-elect-renew-deadline", l.RenewDeadline, "how long the leader keeps trying to renew before it stops leading")
	fs.Duration("leader-elect-retry-period", l.RetryPeriod, "pause between attempts to take or renew the lease")
	fs.String("leader-elect-resource-namespace", l.ResourceNamespace, "namespace of the Lease the election uses")
	fs.String("leader-elect-resource-name", l.ResourceName, "name of the Lease the election uses")
}

// Validate reports every invalid setting, naming its flag. Nothing is checked when election is
// off.
func (l LeaderElection) Validate() error {
	if !l.LeaderElect {
		return nil
	}
	errs := []error{
		CheckPositive("leader-elect-lease-duration", l.LeaseDuration),
		CheckPositive("leader-elect-renew-deadline", l.RenewDeadline),
		CheckPositive("leader-elect-retry-period", l.RetryPeriod),
	}
	if l.LeaseDuration <= l.RenewDeadline || l.RenewDeadline <= l.RetryPeriod {
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration (%s) must exceed --leader-elect-renew-deadline (%s), which must exceed --leader-elect-retry-period (%s)",
			l.LeaseDuration, l.RenewDeadline, l.RetryPeriod))
	}
	if l.ResourceNamespace == "" || l.ResourceName == "" {
		errs = append(errs, errors.New("--leader-elect-resource-namespace and --leader-elect-resource-name must not be empty"))
	}
	return errors.Join(errs...)
}
