package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestValidateReportsEveryErrorInFieldOrder checks that Validate names every bad flag, one line
// each, in the order of the fields, and says the same thing every time.
func TestValidateReportsEveryErrorInFieldOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BindAddress = "nowhere"
	cfg.Port = 70000
	cfg.ShutdownTimeout = 0
	cfg.EtcdClientPort = -1
	cfg.EtcdPeerPort = 65536
	cfg.DataDir = ""
	cfg.EtcdPrefix = "registry"
	cfg.CompactionInterval = -time.Second
	cfg.WatchCacheSize = 0
	cfg.WatchBufferSize = -1
	cfg.WatchBookmarkInterval = 0
	cfg.MaxObjectBytes = 0
	cfg.EtcdMaxWritesInFlight = -1
	cfg.DefaultNotReadyTolerationSeconds = -1
	cfg.DefaultUnreachableTolerationSeconds = -2
	want := []string{
		`--bind-address: "nowhere" is not an IP address`,
		"--port: port 70000 out of range 0-65535",
		"--shutdown-timeout: 0s is not a positive duration",
		"--etcd-client-port: port -1 out of range 0-65535",
		"--etcd-peer-port: port 65536 out of range 0-65535",
		"--data-dir: required for the embedded etcd (or set --etcd-servers)",
		`--etcd-prefix: "registry" must start with /`,
		"--compaction-interval: -1s is negative",
		"--watch-cache-size: 0 is not a positive number",
		"--watch-buffer-size: -1 is not a positive number",
		"--watch-bookmark-interval: 0s is not a positive duration",
		"--max-object-bytes: 0 is not a positive number",
		"--etcd-max-writes-in-flight: -1 is negative",
		"--default-not-ready-toleration-seconds: -1 is negative",
		"--default-unreachable-toleration-seconds: -2 is negative",
	}
	// Maps iterate in a random order: one run could pass by chance.
	for range 20 {
		err := cfg.Validate()
		require.Error(t, err)
		require.Equal(t, want, strings.Split(err.Error(), "\n"))
	}
}

func TestValidateIdentityLease(t *testing.T) {
	tests := []struct {
		name            string
		duration, renew time.Duration
		want            string
	}{
		{name: "defaults", duration: 15 * time.Second, renew: 5 * time.Second},
		{name: "fractional seconds", duration: 1500 * time.Millisecond, renew: time.Second,
			want: "--identity-lease-duration: 1.5s is not a whole number of seconds from 1s"},
		{name: "under a second", duration: 0, renew: time.Second,
			want: "--identity-lease-duration: 0s is not a whole number of seconds from 1s"},
		{name: "not longer than the renew interval", duration: 5 * time.Second, renew: 5 * time.Second,
			want: "--identity-lease-duration: 5s is not longer than --identity-lease-renew-interval 5s"},
		{name: "renew interval not positive", duration: 5 * time.Second, renew: 0,
			want: "--identity-lease-renew-interval: 0s is not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.IdentityLeaseDuration, cfg.IdentityLeaseRenewInterval = tt.duration, tt.renew
			err := cfg.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestValidateAcceptsTheDefaults(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	ext := DefaultConfig()
	ext.DataDir, ext.EtcdServers = "", []string{"http://127.0.0.1:2379"}
	require.NoError(t, ext.Validate(), "an external etcd needs no data directory")
	free := DefaultConfig()
	free.Port, free.EtcdClientPort, free.EtcdPeerPort, free.CompactionInterval, free.EtcdMaxWritesInFlight = 0, 0, 0, 0, 0
	require.NoError(t, free.Validate(), "zero means any port, no compaction, no bound")
}

// TestValidateEtcdTLSWantsWholeSets checks that the etcd TLS flags come as sets, each missing one
// named.
func TestValidateEtcdTLSWantsWholeSets(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Config)
		want []string
	}{
		{"client cert without key", func(c *Config) { c.EtcdCertFile = "c.crt" }, []string{"--etcd-certfile and --etcd-keyfile"}},
		{"embedded cert alone", func(c *Config) { c.EmbeddedEtcdCertFile = "s.crt" },
			[]string{"--embedded-etcd-key-file: required", "--embedded-etcd-trusted-ca-file: required"}},
		{"peer files without client files", func(c *Config) {
			c.EmbeddedEtcdPeerCertFile, c.EmbeddedEtcdPeerKeyFile, c.EmbeddedEtcdPeerTrustedCAFile = "p.crt", "p.key", "ca.crt"
		}, []string{"--embedded-etcd-peer-cert-file: needs the client port's files"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			c.set(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			for _, w := range c.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
	full := DefaultConfig()
	full.EmbeddedEtcdCertFile, full.EmbeddedEtcdKeyFile, full.EmbeddedEtcdTrustedCAFile = "s.crt", "s.key", "ca.crt"
	full.EtcdCertFile, full.EtcdKeyFile = "c.crt", "c.key"
	require.NoError(t, full.Validate())
}
