package server

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config is the API server's configuration. The mapstructure tags are the flag names.
type Config struct {
	// BindAddress and Port are where gRPC and HTTP are served; port 0 picks a free one.
	BindAddress string `mapstructure:"bind-address"`
	Port        int    `mapstructure:"port"`
	// EtcdServers are the client URLs of an external etcd cluster; empty runs an embedded member.
	EtcdServers []string `mapstructure:"etcd-servers"`
	// EtcdPrefix is the root of every key Keelson writes.
	EtcdPrefix string `mapstructure:"etcd-prefix"`
	// DataDir holds the embedded member's data.
	DataDir string `mapstructure:"data-dir"`
	// EtcdClientPort and EtcdPeerPort are the embedded member's loopback ports (0: any free port).
	EtcdClientPort int `mapstructure:"etcd-client-port"`
	EtcdPeerPort   int `mapstructure:"etcd-peer-port"`
	// EtcdUnsafeNoFsync skips fsync in the embedded member: for tests only.
	EtcdUnsafeNoFsync bool `mapstructure:"etcd-unsafe-no-fsync"`
	// CompactionInterval is how often etcd history is compacted (0 never).
	CompactionInterval time.Duration `mapstructure:"compaction-interval"`
	// WatchCacheSize is how many recent events each resource's watch cache keeps.
	WatchCacheSize int `mapstructure:"watch-cache-size"`
	// WatchBufferSize is how far behind a watcher may fall before it is cut off.
	WatchBufferSize int `mapstructure:"watch-buffer-size"`
	// WatchBookmarkInterval is how often watchers that asked for bookmarks get one.
	WatchBookmarkInterval time.Duration `mapstructure:"watch-bookmark-interval"`
	// MaxObjectBytes bounds an object's stored size.
	MaxObjectBytes int `mapstructure:"max-object-bytes"`
	// EtcdMaxWritesInFlight bounds the write transactions open against etcd at once; more wait
	// (0: no bound).
	EtcdMaxWritesInFlight int `mapstructure:"etcd-max-writes-in-flight"`
	// ShutdownTimeout bounds how long in-flight requests may take to finish on shutdown.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
}

// DefaultConfig returns the defaults: 127.0.0.1:6443 on an embedded etcd in .keelson/etcd.
func DefaultConfig() Config {
	return Config{
		BindAddress:           "127.0.0.1",
		Port:                  6443,
		EtcdPrefix:            "/registry",
		DataDir:               ".keelson/etcd",
		EtcdClientPort:        2379,
		EtcdPeerPort:          2380,
		CompactionInterval:    5 * time.Minute,
		WatchCacheSize:        4096,
		WatchBufferSize:       1024,
		WatchBookmarkInterval: 10 * time.Second,
		MaxObjectBytes:        1500 * 1024,
		EtcdMaxWritesInFlight: 32,
		ShutdownTimeout:       10 * time.Second,
	}
}

// Validate reports every invalid setting, naming its flag.
func (c Config) Validate() error {
	var errs []error
	if net.ParseIP(c.BindAddress) == nil {
		errs = append(errs, fmt.Errorf("--bind-address %q is not an IP address", c.BindAddress))
	}
	for flag, p := range map[string]int{"port": c.Port, "etcd-client-port": c.EtcdClientPort, "etcd-peer-port": c.EtcdPeerPort} {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("--%s %d is not a port number", flag, p))
		}
	}
	if len(c.EtcdServers) == 0 && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is required for the embedded etcd (or set --etcd-servers)"))
	}
	if c.EtcdPrefix == "" || c.EtcdPrefix[0] != '/' {
		errs = append(errs, fmt.Errorf("--etcd-prefix %q must start with /", c.EtcdPrefix))
	}
	for flag, n := range map[string]int{"watch-cache-size": c.WatchCacheSize, "watch-buffer-size": c.WatchBufferSize, "max-object-bytes": c.MaxObjectBytes} {
		if n <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive (got %d)", flag, n))
		}
	}
	if c.EtcdMaxWritesInFlight < 0 {
		errs = append(errs, fmt.Errorf("--etcd-max-writes-in-flight must not be negative (got %d)", c.EtcdMaxWritesInFlight))
	}
	if c.CompactionInterval < 0 {
		errs = append(errs, fmt.Errorf("--compaction-interval must not be negative (got %s)", c.CompactionInterval))
	}
	if c.WatchBookmarkInterval <= 0 {
		errs = append(errs, fmt.Errorf("--watch-bookmark-interval must be positive (got %s)", c.WatchBookmarkInterval))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--shutdown-timeout must be positive (got %s)", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}
