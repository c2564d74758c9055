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
	Serving    `mapstructure:",squash"`
	Process    `mapstructure:",squash"`
	APIServers []string `mapstructure:"apiserver"`
}

func TestOptionsRoundTrip(t *testing.T) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Serving{BindAddress: "127.0.0.1", Port: 10259, ShutdownTimeout: 10 * time.Second}.AddFlags(fs)
	DefaultProcess().AddFlags(fs, "test")
	fs.StringSlice("apiserver", []string{"127.0.0.1:6443"}, "")
	t.Setenv("KEELSON_TEST_LOG_FORMAT", "console")

	var got daemonConfig
	require.NoError(t, Load("test", fs, []string{"--port=0", "--shutdown-timeout=2s"}, &got))
	require.Equal(t, daemonConfig{
		Serving:    Serving{BindAddress: "127.0.0.1", Port: 0, ShutdownTimeout: 2 * time.Second},
		Process:    Process{LogLevel: "info", LogFormat: "console"},
		APIServers: []string{"127.0.0.1:6443"},
	}, got)
	require.NoError(t, got.Serving.Validate())
	require.NoError(t, got.Process.Validate())
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
