package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

type testConfig struct {
	BindAddress     string        `mapstructure:"bind-address"`
	Port            int           `mapstructure:"port"`
	APIServers      []string      `mapstructure:"apiserver"`
	LeaderElect     bool          `mapstructure:"leader-elect"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
	File            string        `mapstructure:"config"`
}

func testFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("bind-address", "127.0.0.1", "")
	fs.Int("port", 10259, "")
	fs.StringSlice("apiserver", []string{"127.0.0.1:6443"}, "")
	fs.Bool("leader-elect", true, "")
	fs.Duration("shutdown-timeout", 10*time.Second, "")
	fs.String(FileFlag, "", "")
	return fs
}

func defaults() testConfig {
	return testConfig{
		BindAddress:     "127.0.0.1",
		Port:            10259,
		APIServers:      []string{"127.0.0.1:6443"},
		LeaderElect:     true,
		ShutdownTimeout: 10 * time.Second,
	}
}

// writeFile writes content to a YAML file in a fresh directory and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestEnvVar(t *testing.T) {
	tests := []struct{ component, flag, want string }{
		{"apiserver", "bind-address", "KEELSON_APISERVER_BIND_ADDRESS"},
		{"controller-manager", "leader-elect", "KEELSON_CONTROLLER_MANAGER_LEADER_ELECT"},
		{"kubelet", "port", "KEELSON_KUBELET_PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, EnvVar(tt.component, tt.flag))
		})
	}
}

func TestLoadPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// file, when set, is written to disk and passed with --config.
		file string
		want func(c *testConfig)
	}{
		{
			name: "defaults",
			want: func(*testConfig) {},
		},
		{
			name: "file over defaults",
			file: "port: 1111\nleader-elect: false\nshutdown-timeout: 3s\napiserver: [a:1, b:2]\n",
			want: func(c *testConfig) {
				c.Port = 1111
				c.LeaderElect = false
				c.ShutdownTimeout = 3 * time.Second
				c.APIServers = []string{"a:1", "b:2"}
			},
		},
		{
			name: "env over file",
			file: "port: 1111\nbind-address: 127.0.0.2\n",
			env:  map[string]string{"KEELSON_TEST_PORT": "2222"},
			want: func(c *testConfig) {
				c.Port = 2222
				c.BindAddress = "127.0.0.2"
			},
		},
		{
			name: "flag over env over file",
			file: "port: 1111\nshutdown-timeout: 3s\nleader-elect: true\n",
			env:  map[string]string{"KEELSON_TEST_PORT": "2222", "KEELSON_TEST_SHUTDOWN_TIMEOUT": "1m30s"},
			args: []string{"--port=3333", "--leader-elect=false"},
			want: func(c *testConfig) {
				c.Port = 3333
				c.ShutdownTimeout = 90 * time.Second
				c.LeaderElect = false
			},
		},
		{
			name: "env over defaults",
			env: map[string]string{
				"KEELSON_TEST_LEADER_ELECT": "false",
				"KEELSON_TEST_APISERVER":    "127.0.0.1:6443, 127.0.0.2:6443,",
				"KEELSON_TEST_BIND_ADDRESS": "0.0.0.0",
			},
			want: func(c *testConfig) {
				c.LeaderElect = false
				c.APIServers = []string{"127.0.0.1:6443", "127.0.0.2:6443"}
				c.BindAddress = "0.0.0.0"
			},
		},
		{
			name: "comma list in a file string",
			file: "apiserver: \"x:1,y:2\"\n",
			want: func(c *testConfig) { c.APIServers = []string{"x:1", "y:2"} },
		},
		{
			name: "comma list and repeated flag",
			args: []string{"--apiserver=a:1,b:2", "--apiserver=c:3"},
			want: func(c *testConfig) { c.APIServers = []string{"a:1", "b:2", "c:3"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := tt.args
			want := defaults()
			if tt.file != "" {
				path := writeFile(t, tt.file)
				args = append([]string{"--config=" + path}, args...)
				want.File = path
			}
			tt.want(&want)

			var got testConfig
			require.NoError(t, Load("test", testFlags(), args, &got))
			require.Equal(t, want, got)
		})
	}
}

func TestLoadConfigPathFromEnv(t *testing.T) {
	path := writeFile(t, "port: 4444\n")
	t.Setenv("KEELSON_TEST_CONFIG", path)
	var got testConfig
	require.NoError(t, Load("test", testFlags(), nil, &got))
	require.Equal(t, 4444, got.Port)
	require.Equal(t, path, got.File)
}

func TestLoadErrors(t *testing.T) {
	type noFlagForField struct {
		testConfig `mapstructure:",squash"`
		Extra      string `mapstructure:"extra"`
	}
	type missingField struct {
		Port int `mapstructure:"port"`
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		out     any
		wantErr []string
		isHelp  bool
	}{
		{name: "unknown flag", args: []string{"--nope"}, wantErr: []string{"parse test flags", "nope"}},
		{name: "help", args: []string{"--help"}, isHelp: true},
		{name: "positional argument", args: []string{"extra"}, wantErr: []string{"takes no arguments", "extra"}},
		{name: "bad flag value", args: []string{"--port=abc"}, wantErr: []string{"port", "abc"}},
		{name: "bad env value", env: map[string]string{"KEELSON_TEST_PORT": "abc"}, wantErr: []string{"'port'"}},
		{name: "bad env duration", env: map[string]string{"KEELSON_TEST_SHUTDOWN_TIMEOUT": "soon"}, wantErr: []string{"shutdown-timeout"}},
		{name: "bad file value", file: "leader-elect: maybe\n", wantErr: []string{"'leader-elect'"}},
		{name: "unknown file key", file: "port: 1\nprot: 2\n", wantErr: []string{"config.yaml", `unknown key "prot"`}},
		{name: "nested file key", file: "port:\n  value: 1\n", wantErr: []string{`unknown key "port.value"`}},
		{name: "config set in file", file: "config: other.yaml\n", wantErr: []string{`key "config"`}},
		{name: "malformed yaml", file: "port: [1\n", wantErr: []string{"read config file", "config.yaml"}},
		{name: "missing file", args: []string{"--config=/nonexistent/keelson.yaml"}, wantErr: []string{"/nonexistent/keelson.yaml"}},
		{name: "field without flag", out: &noFlagForField{}, wantErr: []string{"extra"}},
		{name: "flag without field", out: &missingField{}, wantErr: []string{"bind-address"}},
		{name: "not a pointer", out: testConfig{}, wantErr: []string{"want a non-nil pointer to a struct"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config=" + writeFile(t, tt.file)}, args...)
			}
			out := tt.out
			if out == nil {
				out = &testConfig{Port: -1}
			}
			err := Load("test", testFlags(), args, out)
			require.Error(t, err)
			if tt.isHelp {
				require.ErrorIs(t, err, pflag.ErrHelp)
				return
			}
			for _, s := range tt.wantErr {
				require.ErrorContains(t, err, s)
			}
			if c, ok := out.(*testConfig); ok {
				require.Equal(t, testConfig{Port: -1}, *c, "out must be untouched on failure")
			}
		})
	}
}
