package leaderelection

import (
	"fmt"
	"os"

	"github.com/google/uuid"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/config"
)

// NewIdentity returns a candidate identity unique to this process, <hostname>_<uuid>, as
// Kubernetes' components name themselves in leader election.
func NewIdentity() (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("read host name for the leader election identity: %w", err)
	}
	return host + "_" + uuid.NewString(), nil
}

// LeaseConfig returns the election that flags describe: identity competing for the Lease
// <ResourceNamespace>/<ResourceName> through c, with the flags' timing. The caller adds a logger
// and callbacks; whether to elect at all (flags.LeaderElect) is its decision.
func LeaseConfig(flags config.LeaderElection, c *client.Client, identity string) Config {
	return Config{
		Lock:          NewLeaseLock(c.Leases(flags.ResourceNamespace), flags.ResourceName),
		Identity:      identity,
		LeaseDuration: flags.LeaseDuration,
		RenewDeadline: flags.RenewDeadline,
		RetryPeriod:   flags.RetryPeriod,
	}
}
