package config

import (
	"io"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

// daemonConfig is shaped like a daemon's app configuration: shared option structs squashed in
// beside the daemon's own fields.
type daemonConfig struct {
	Serving        `mapstructure:",squash"`
	Process        `mapstructure:",squash"`
	APIClient      `mapstructure:",squash"`
	LeaderElection `mapstructure:",squash"`
}

func TestOptionsRoundTrip(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Serving{BindAddress: "127.0.0.1", Port: 10259, ShutdownTimeout: 10 * time.Second}.AddFlags(fs)
	DefaultProcess().AddFlags(fs, "test")
	DefaultAPIClient().AddFlags(fs)
	DefaultLeaderElection("test-lease").AddFlags(fs)
	t.Setenv("KEELSON_TEST_LOG_FORMAT", "console")
	t.Setenv("KEELSON_TEST_LEADER_ELECT_RETRY_PERIOD", "1s")

	var got daemonConfig
	require.NoError(t, Load("test", fs, []string{"--port=0", "--shutdown-timeout=2s",
		"--apiserver=127.0.0.2:6443,127.0.0.3:6443", "--leader-elect-resource-namespace=ops"}, &got))
	wantElection := DefaultLeaderElection("test-lease")
	wantElection.RetryPeriod = time.Second
	wantElection.ResourceNamespace = "ops"
	require.Equal(t, daemonConfig{
		Serving:        Serving{BindAddress: "127.0.0.1", Port: 0, ShutdownTimeout: 2 * time.Second},
		Process:        Process{LogLevel: "info", LogFormat: "console"},
		APIClient:      APIClient{APIServers: []string{"127.0.0.2:6443", "127.0.0.3:6443"}},
		LeaderElection: wantElection,
	}, got)
	require.NoError(t, got.Serving.Validate())
	require.NoError(t, got.Process.Validate())
	require.NoError(t, got.APIClient.Validate())
	require.NoError(t, got.LeaderElection.Validate())
	require.Equal(t, "127.0.0.1:0", got.Address())
	require.Contains(t, fs.Lookup(FileFlag).Usage, "KEELSON_TEST_<FLAG>")
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr []string
	}{
		{name: "serving ok", err: Serving{BindAddress: "::1", Port: 1, ShutdownTimeout: time.Second}.Validate()},
		{
			name:    "serving names every bad flag",
			err:     Serving{BindAddress: "any", Port: -1}.Validate(),
			wantErr: []string{"--bind-address", "--port", "--shutdown-timeout"},
		},
		{name: "process ok", err: DefaultProcess().Validate()},
		{name: "api client ok", err: DefaultAPIClient().Validate()},
		{name: "no api server: the kubeconfig's or the default", err: APIClient{}.Validate()},
		{name: "bad api server", err: APIClient{APIServers: []string{"127.0.0.1"}}.Validate(), wantErr: []string{`--apiserver: endpoint "127.0.0.1"`}},
		{name: "election ok", err: DefaultLeaderElection("x").Validate()},
		{name: "election off checks nothing", err: LeaderElection{}.Validate()},
		{
			name: "election names every bad flag",
			err:  LeaderElection{LeaderElect: true, RenewDeadline: -time.Second}.Validate(),
			wantErr: []string{"--leader-elect-lease-duration: 0s", "--leader-elect-renew-deadline: -1s", "--leader-elect-retry-period: 0s",
				"--leader-elect-resource-namespace and --leader-elect-resource-name must not be empty"},
		},
		{
			name: "election timing order",
			err: LeaderElection{LeaderElect: true, LeaseDuration: 10 * time.Second, RenewDeadline: 10 * time.Second,
				RetryPeriod: time.Second, ResourceNamespace: "kube-system", ResourceName: "x"}.Validate(),
			wantErr: []string{"--leader-elect-lease-duration (10s) must exceed --leader-elect-renew-deadline (10s)"},
		},
		{name: "bad level", err: Process{LogLevel: "trace", LogFormat: "json"}.Validate(), wantErr: []string{`log level "trace"`}},
		{name: "bad format", err: Process{LogLevel: "info", LogFormat: "text"}.Validate(), wantErr: []string{`log format "text"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.wantErr) == 0 {
				require.NoError(t, tt.err)
				return
			}
			for _, s := range tt.wantErr {
				require.ErrorContains(t, tt.err, s)
			}
		})
	}
}

func TestServingAddress(t *testing.T) {
	require.Equal(t, "[::1]:10257", Serving{BindAddress: "::1", Port: 10257}.Address())
}
