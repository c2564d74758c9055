package leaderelection_test

import (
	"context"
	"errors"
	"os"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/leaderelection"
)

// A daemon runs its leader-only work under the election its --leader-elect* flags describe. On
// SIGTERM ctx ends: the work stops, the lease is given up, and RunWhileLeading returns nil. A
// leader that could not renew gets ErrLeadershipLost and exits non-zero, to come back as a
// standby.
func ExampleRunWhileLeading() {
	ctx := context.Background() // in a daemon: the signal context
	flags := config.DefaultLeaderElection("keelson-controller-manager")
	c, err := config.DefaultAPIClient().NewClient("keelson-controller-manager", zap.NewNop())
	if err != nil {
		os.Exit(1)
	}
	defer func() { _ = c.Close() }()
	identity, err := leaderelection.NewIdentity()
	if err != nil {
		os.Exit(1)
	}
	le := leaderelection.LeaseConfig(flags, c, identity)
	err = leaderelection.RunWhileLeading(ctx, le, func(ctx context.Context) error {
		// Start the controllers; return when ctx ends.
		<-ctx.Done()
		return nil
	})
	if errors.Is(err, leaderelection.ErrLeadershipLost) {
		os.Exit(1)
	}
}
