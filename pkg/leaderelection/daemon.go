package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/google/uuid"
	"go.uber.org/zap"

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

// Lead returns a run-group function that campaigns with cfg and runs fn while this candidate
// leads (see RunWhileLeading). It logs when leadership starts and when it is lost; a lost
// leadership returns ErrLeadershipLost, so the daemon exits and its supervisor restarts it as a
// standby, as Kubernetes' components do.
func Lead(cfg Config, fn func(context.Context) error) func(context.Context) error {
	lg := cfg.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	return func(ctx context.Context) error {
		err := RunWhileLeading(ctx, cfg, func(lctx context.Context) error {
			lg.Info("started leading", zap.String("identity", cfg.Identity))
			return fn(lctx)
		})
		if errors.Is(err, ErrLeadershipLost) {
			lg.Error("leadership lost: stopping", zap.String("identity", cfg.Identity))
		}
		return err
	}
}
