package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/config"
)

// TestLoadPrecedence checks flags > environment > config file > defaults on --leader-elect and
// --port.
func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "controller-manager.yaml")
	require.NoError(t, os.WriteFile(file, []byte("leader-elect: false\nport: 1111\nlog-format: console\n"), 0o600))

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config)
	}{
		{name: "defaults", want: func(*Config) {}},
		{name: "file", args: []string{"--config=" + file}, want: func(c *Config) {
			c.File = file
			c.Server.LeaderElect = false
			c.Server.Port = 1111
			c.LogFormat = "console"
		}},
		{
			name: "env over file",
			args: []string{"--config=" + file},
			env:  map[string]string{"KEELSON_CONTROLLER_MANAGER_LEADER_ELECT": "true", "KEELSON_CONTROLLER_MANAGER_PORT": "2222"},
			want: func(c *Config) {
				c.File = file
				c.Server.Port = 2222
				c.LogFormat = "console"
			},
		},
		{
			name: "flag over env",
			args: []string{"--leader-elect=false", "--apiserver=127.0.0.2:6443,127.0.0.3:6443", "--leader-elect-resource-name=cm-b"},
			env:  map[string]string{"KEELSON_CONTROLLER_MANAGER_LEADER_ELECT": "true", "KEELSON_CONTROLLER_MANAGER_APISERVER": "127.0.0.9:6443"},
			want: func(c *Config) {
				c.Server.LeaderElect = false
				c.Server.APIServers = []string{"127.0.0.2:6443", "127.0.0.3:6443"}
				c.Server.ResourceName = "cm-b"
			},
		},
		{
			name: "controllers",
			args: []string{"--controllers=*,-replicationcontroller", "--concurrent-replicaset-syncs=7"},
			env:  map[string]string{"KEELSON_CONTROLLER_MANAGER_CONCURRENT_RC_SYNCS": "3"},
			want: func(c *Config) {
				c.Server.Controllers.Controllers = []string{"*", "-replicationcontroller"}
				c.Server.Controllers.ConcurrentReplicaSetSyncs = 7
				c.Server.Controllers.ConcurrentRCSyncs = 3
			},
		},
		{
			name: "election timing from the environment",
			env: map[string]string{"KEELSON_CONTROLLER_MANAGER_LEADER_ELECT_LEASE_DURATION": "30s",
				"KEELSON_CONTROLLER_MANAGER_LEADER_ELECT_RENEW_DEADLINE": "20s", "KEELSON_CONTROLLER_MANAGER_LEADER_ELECT_RETRY_PERIOD": "5s",
				"KEELSON_CONTROLLER_MANAGER_LEADER_ELECT_RESOURCE_NAMESPACE": "ops"},
			want: func(c *Config) {
				c.Server.LeaseDuration, c.Server.RenewDeadline, c.Server.RetryPeriod = 30*time.Second, 20*time.Second, 5*time.Second
				c.Server.ResourceNamespace = "ops"
			},
		},
		{
			name: "node controllers",
			args: []string{"--node-monitor-grace-period=5s", "--node-monitor-period=1s", "--node-eviction-rate=0.5",
				"--allocate-node-cidrs", "--cluster-cidr=10.244.0.0/16,fd00:10::/48", "--terminated-pod-gc-threshold=10"},
			env: map[string]string{"KEELSON_CONTROLLER_MANAGER_UNHEALTHY_ZONE_THRESHOLD": "0.6"},
			want: func(c *Config) {
				n := &c.Server.Controllers.Node
				n.NodeMonitorGracePeriod, n.NodeMonitorPeriod, n.NodeEvictionRate = 5*time.Second, time.Second, 0.5
				n.AllocateNodeCIDRs, n.ClusterCIDR, n.TerminatedPodGCThreshold = true, "10.244.0.0/16,fd00:10::/48", 10
				n.UnhealthyZoneThreshold = 0.6
			},
		},
		{
			name: "config file named by the environment",
			env:  map[string]string{"KEELSON_CONTROLLER_MANAGER_CONFIG": file},
			want: func(c *Config) {
				c.File = file
				c.Server.LeaderElect = false
				c.Server.Port = 1111
				c.LogFormat = "console"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := load(tt.args)
			require.NoError(t, err)
			want := Config{Server: server.DefaultConfig(), Process: config.DefaultProcess()}
			tt.want(&want)
			require.Equal(t, want, got)
			require.NoError(t, got.Validate())
		})
	}
}

func TestLoadRejectsUnknownFileKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "controller-manager.yaml")
	require.NoError(t, os.WriteFile(file, []byte("leader-elekt: false\n"), 0o600))
	_, err := load([]string{"--config", file})
	require.ErrorContains(t, err, `unknown key "leader-elekt"`)
	require.ErrorContains(t, err, file)
}

// load reads the configuration from args as Run does.
func load(args []string) (Config, error) {
	var cfg Config
	err := config.Load(component, NewFlags(), args, &cfg)
	return cfg, err
}
