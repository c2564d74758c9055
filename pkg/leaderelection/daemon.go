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
// standby, as Kubernetes' components do. A daemon whose fn builds everything it uses afresh for
// each term uses LeadTerms instead.
func Lead(cfg Config, fn func(context.Context) error) func(context.Context) error {
	return lead(cfg, fn, false)
}

// LeadTerms is Lead for an fn that builds everything it uses afresh each time it is called and
// leaves nothing running when it returns (RunWhileLeading waits for it): a lost leadership, as
// when etcd or every apiserver is away for longer than RenewDeadline, sends the candidate back to
// campaigning as a standby instead of ending the daemon, so it leads again by itself once the
// lock can be taken.
func LeadTerms(cfg Config, fn func(context.Context) error) func(context.Context) error {
	return lead(cfg, fn, true)
}

// lead is Lead, campaigning again after a lost leadership when again is set.
func lead(cfg Config, fn func(context.Context) error, again bool) func(context.Context) error {
	lg := cfg.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	return func(ctx context.Context) error {
		for {
			err := RunWhileLeading(ctx, cfg, func(lctx context.Context) error {
				lg.Info("started leading", zap.String("identity", cfg.Identity))
				return fn(lctx)
			})
			if !errors.Is(err, ErrLeadershipLost) {
				return err
			}
			if !again {
				lg.Error("leadership lost: stopping", zap.String("identity", cfg.Identity))
				return err
			}
			lg.Warn("leadership lost: standing by to lead again", zap.String("identity", cfg.Identity))
		}
	}
}
