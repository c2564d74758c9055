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

// DefaultLeaderElection returns the election defaults (on; 4 s lease, 3 s renew deadline,
// 400 ms retry; the Lease in kube-system) for the Lease named resourceName.
//
// They are tuned for a standby to take over within 5 s of a leader's crash, where Kubernetes'
// own (15 s, 10 s, 2 s) take 14 s to 19 s. A standby takes an unrenewed lease LeaseDuration after
// it saw the last renewal, which it sees up to one RetryPeriod after it was made (and the leader
// renewed up to one RetryPeriod before it died), and acts on at its next try, up to one
// RetryPeriod later: a handover takes between LeaseDuration - RetryPeriod and LeaseDuration +
// 2 * RetryPeriod, 3.6 s to 4.8 s. The renew deadline stays 1 s below the lease, so that a leader
// cut off from the API stops before a standby may start, and above an etcd leader election (1 s
// to 2 s with the shipped election timeout), so that losing the etcd leader does not cost the
// daemons theirs. The price: every replica reads the Lease, and each leader renews it, 2.5 times
// a second. Kubernetes' flags allow these values (lease > renew deadline > retry period).
func DefaultLeaderElection(resourceName string) LeaderElection {
	return LeaderElection{
		LeaderElect:       true,
		LeaseDuration:     4 * time.Second,
		RenewDeadline:     3 * time.Second,
		RetryPeriod:       400 * time.Millisecond,
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
