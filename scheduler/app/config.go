package app

import (
	"errors"
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/log"
	"github.com/keelson-dev/keelson/scheduler/server"
)

// component names the scheduler in environment variables (KEELSON_SCHEDULER_<FLAG>).
const component = "scheduler"

// Config is everything keelson-scheduler reads from flags, the environment and --config: the
// server's configuration plus the process-level settings app handles itself.
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
	fs := pflag.NewFlagSet("keelson-scheduler", pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	fs.String("bind-address", d.BindAddress, "IP address to serve health and metrics on")
	fs.Int("port", d.Port, "port to serve /healthz, /livez, /readyz and /metrics on (0: any free port)")
	fs.StringSlice("apiserver", d.APIServers, "API server endpoints as host:port, comma-separated")
	fs.Bool("leader-elect", d.LeaderElect, "elect a leader among replicas so that only one schedules")
	fs.Duration("shutdown-timeout", d.ShutdownTimeout, "how long to let in-flight work finish on shutdown")
	fs.String("log-level", "info", "log level: debug, info, warn or error")
	fs.String("log-format", "json", "log format: json or console")
	fs.String(config.FileFlag, "", "YAML file whose keys are flag names; flags and KEELSON_SCHEDULER_* override it")
	var cfg Config
	err := config.Load(component, fs, args, &cfg)
	return cfg, err
}
