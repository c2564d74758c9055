package run

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/config"
)

// serverConfig stands in for a daemon server's configuration.
type serverConfig struct {
	Name string `mapstructure:"name"`
}

func (c serverConfig) Validate() error {
	if c.Name == "" {
		return errors.New("--name: required")
	}
	return nil
}

func mainFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("name", "", "")
	config.Process{LogLevel: "error", LogFormat: "json"}.AddFlags(fs, "test")
	return fs
}

func TestMainFlow(t *testing.T) {
	errServe := errors.New("serve failed")
	tests := []struct {
		name      string
		args      []string
		serveErr  error
		wantErr   string
		wantServe string // the Name serve must see; "" when serve must not run
	}{
		{name: "serves with the loaded configuration", args: []string{"--name=a"}, wantServe: "a"},
		{name: "serve error is returned", args: []string{"--name=b"}, serveErr: errServe, wantErr: "serve failed", wantServe: "b"},
		{name: "help is not an error", args: []string{"--help"}},
		{name: "bad flag", args: []string{"--nope"}, wantErr: "unknown flag: --nope"},
		{name: "invalid server config", args: nil, wantErr: "invalid configuration: --name: required"},
		{name: "invalid log level", args: []string{"--name=c", "--log-level=loud"}, wantErr: `unknown log level "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served string
			err := Main("test", mainFlags(), tt.args, func(ctx context.Context, cfg serverConfig, lg *zap.Logger) error {
				require.NotNil(t, lg)
				require.NoError(t, ctx.Err())
				served = cfg.Name
				return tt.serveErr
			})
			if tt.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.wantErr)
			}
			require.Equal(t, tt.wantServe, served)
		})
	}
}

func TestMainStopsOnSignal(t *testing.T) {
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Main("test", mainFlags(), []string{"--name=a"}, func(ctx context.Context, _ serverConfig, _ *zap.Logger) error {
			close(started)
			<-ctx.Done()
			return nil
		})
	}()
	<-started // the signal handler is registered before serve runs
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Main did not return after SIGTERM")
	}
}

// fakeServer records the configuration it was built with and runs until its context ends.
type fakeServer struct{ name string }

func (s *fakeServer) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

func TestServeBuildsThenRuns(t *testing.T) {
	errServe := errors.New("build failed")
	var built *fakeServer
	serve := Serve(func(cfg serverConfig, _ *zap.Logger) (*fakeServer, error) {
		if cfg.Name == "bad" {
			return nil, errServe
		}
		built = &fakeServer{name: cfg.Name}
		return built, nil
	})
	require.ErrorIs(t, serve(context.Background(), serverConfig{Name: "bad"}, zap.NewNop()), errServe)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, serve(ctx, serverConfig{Name: "a"}, zap.NewNop()))
	require.Equal(t, "a", built.name)
}

// readyServer is a server that becomes ready when the test says so.
type readyServer struct{ ready chan struct{} }

func (s readyServer) Ready() <-chan struct{} { return s.ready }

func (readyServer) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// TestServeNotifiesTheServiceManager plays systemd's side of Type=notify: a unixgram socket in
// $NOTIFY_SOCKET gets READY=1 once the server is ready and STOPPING=1 when it is told to stop.
func TestServeNotifiesTheServiceManager(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	next := func() string {
		t.Helper()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 256)
		n, err := conn.Read(buf)
		require.NoError(t, err)
		return string(buf[:n])
	}
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "")

	srv := readyServer{ready: make(chan struct{})}
	serve := Serve(func(serverConfig, *zap.Logger) (readyServer, error) { return srv, nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, serverConfig{Name: "x"}, zap.NewNop()) }()

	close(srv.ready)
	require.Equal(t, "READY=1\nSTATUS=ready\n", next())
	cancel()
	require.Equal(t, "STOPPING=1\nSTATUS=stopping\n", next())
	require.NoError(t, <-done)
}
