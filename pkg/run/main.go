package run

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/log"
	"github.com/keelson-dev/keelson/pkg/sdnotify"
	"github.com/keelson-dev/keelson/pkg/version"
)

// Main is a daemon's life from its arguments to its exit, what every app.Run calls:
// config.Load (flags > KEELSON_<COMPONENT>_* > --config > defaults) into a config.Daemon[S],
// Validate, log.New, SignalContext, then serve with the server settings, the logger and a context
// that SIGINT or SIGTERM cancels. serve builds the server (server.New) and runs it.
//
// Main returns nil when args ask for help (fs has printed the usage) or serve returned nil, and
// otherwise an error that names what failed. It syncs the logger before returning.
func Main[S config.Validator](
	component string, fs *pflag.FlagSet, args []string,
	serve func(ctx context.Context, cfg S, lg *zap.Logger) error,
) error {
	var cfg config.Daemon[S]
	if err := config.Load(component, fs, args, &cfg); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	lg, err := log.New(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = lg.Sync() }() // syncing stderr fails on some terminals; nothing to do about it

	ctx, stop := SignalContext(context.Background())
	defer stop()
	lg.Info("starting keelson-"+component, zap.Any("version", version.Get()), zap.String("config", cfg.File))
	return serve(ctx, cfg.Server, lg)
}

// Runner is a server that runs until its context ends.
type Runner interface {
	Run(ctx context.Context) error
}

// Readier is a server that says when it serves: Ready is closed from then on.
type Readier interface {
	Ready() <-chan struct{}
}

// Serve turns a server constructor into the serve function Main takes: build the server with
// the loaded configuration and logger, then run it. Every daemon's server package has such a New.
//
// Under systemd (Type=notify, see package sdnotify), Serve tells the service manager READY=1 once
// the server is ready (a Readier's Ready is closed; any other server as soon as it runs), keeps a
// configured watchdog fed while it runs, and sends STOPPING=1 when ctx ends. A failed notification
// is logged, never fatal: the service manager's own timeouts handle a daemon it cannot hear.
func Serve[S any, R Runner](newServer func(S, *zap.Logger) (R, error)) func(context.Context, S, *zap.Logger) error {
	return func(ctx context.Context, cfg S, lg *zap.Logger) error {
		notifier, err := sdnotify.FromEnv(os.Getenv)
		if err != nil {
			return err
		}
		srv, err := newServer(cfg, lg)
		if err != nil {
			return err
		}
		var ready <-chan struct{}
		if r, ok := any(srv).(Readier); ok {
			ready = r.Ready()
		}
		nctx, stop := context.WithCancel(ctx)
		notified := make(chan error, 1) // buffered: read once, after Run
		go func() { notified <- notifier.Lifecycle(nctx, clock.RealClock{}, ready) }()
		err = srv.Run(ctx)
		stop()
		if nerr := <-notified; nerr != nil {
			lg.Warn("notify the service manager", zap.Error(nerr))
		}
		return err
	}
}
