package app

import (
	"errors"
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/log"
)

// component names the apiserver in environment variables (KEELSON_APISERVER_<FLAG>).
const component = "apiserver"

// Config is everything keelson-apiserver reads from flags, the environment and --config.
type Config struct {
	Server     server.Config `mapstructure:",squash"`
	LogLevel   string        `mapstructure:"log-level"`
	LogFormat  string        `mapstructure:"log-format"`
	ConfigFile string        `mapstructure:"config"`
}

// Validate reports every invalid setting, naming its flag.
func (c Config) Validate() error {
	return errors.Join(c.Server.Validate(), log.Validate(c.LogLevel, c.LogFormat))
}

// Load reads the configuration from args, the environment and the config file, in that order of
// precedence, over the defaults. It does not validate.
func Load(args []string) (Config, error) {
	fs := pflag.NewFlagSet("keelson-apiserver", pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	fs.String("bind-address", d.BindAddress, "IP address to serve gRPC and HTTP on")
	fs.Int("port", d.Port, "port to serve gRPC and HTTP on (0: any free port)")
	fs.StringSlice("etcd-servers", d.EtcdServers, "client URLs of an external etcd cluster, comma-separated; empty runs an embedded etcd")
	fs.String("etcd-prefix", d.EtcdPrefix, "root of every etcd key Keelson writes")
	fs.String("data-dir", d.DataDir, "data directory of the embedded etcd")
	fs.Int("etcd-client-port", d.EtcdClientPort, "loopback client port of the embedded etcd (0: any free port)")
	fs.Int("etcd-peer-port", d.EtcdPeerPort, "loopback peer port of the embedded etcd (0: any free port)")
	fs.Bool("etcd-unsafe-no-fsync", d.EtcdUnsafeNoFsync, "skip fsync in the embedded etcd (tests only: loses data on a crash)")
	fs.Duration("compaction-interval", d.CompactionInterval, "how often etcd history is compacted (0: never)")
	fs.Int("watch-cache-size", d.WatchCacheSize, "recent events each resource's watch cache keeps for resuming watches")
	fs.Int("watch-buffer-size", d.WatchBufferSize, "events a watcher may fall behind before it is cut off")
	fs.Duration("watch-bookmark-interval", d.WatchBookmarkInterval, "how often watchers that asked for bookmarks get one")
	fs.Int("max-object-bytes", d.MaxObjectBytes, "largest object the server stores, in bytes")
	fs.Duration("shutdown-timeout", d.ShutdownTimeout, "how long in-flight requests may take to finish on shutdown")
	fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.String("log-format", "json", "log format: json or console")
	fs.String(config.FileFlag, "", "YAML file whose keys are flag names; flags and KEELSON_APISERVER_* override it")
	var cfg Config
	err := config.Load(component, fs, args, &cfg)
	return cfg, err
}
