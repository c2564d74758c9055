// Package app wires keelson-apiserver together: configuration, logging and signals around the
// embeddable server.
package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/log"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/pkg/version"
)

// Run runs keelson-apiserver with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help.
func Run(args []string) error {
	cfg, err := Load(args)
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	lg, err := log.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = lg.Sync() }() // stderr may not support sync; nothing to do about it

	ctx, stop := run.SignalContext(context.Background())
	defer stop()

	srv, err := server.New(cfg.Server, lg)
	if err != nil {
		return err
	}
	lg.Info("keelson-apiserver", zap.Any("version", version.Get()), zap.String("configFile", cfg.ConfigFile))
	return srv.Run(ctx)
}
