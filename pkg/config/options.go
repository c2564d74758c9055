package config

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/pkg/log"
)

// Serving is where a daemon serves its health and metrics endpoint and how long it drains on
// shutdown. Daemons embed it in their configuration with `mapstructure:",squash"`.
type Serving struct {
	// BindAddress is the IP address to listen on.
	BindAddress string `mapstructure:"bind-address"`
	// Port is the port to listen on; 0 picks a free one.
	Port int `mapstructure:"port"`
	// ShutdownTimeout bounds how long in-flight work may run once the daemon is told to stop.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
}

// AddFlags defines --bind-address, --port and --shutdown-timeout on fs with s as defaults.
func (s Serving) AddFlags(fs *pflag.FlagSet) {
	fs.String("bind-address", s.BindAddress, "IP address to serve health and metrics on")
	fs.Int("port", s.Port, "port to serve /healthz, /livez, /readyz and /metrics on (0: any free port)")
	fs.Duration("shutdown-timeout", s.ShutdownTimeout, "how long to let in-flight work finish on shutdown")
}

// Validate reports every invalid field, naming its flag.
func (s Serving) Validate() error {
	return errors.Join(
		CheckIP("bind-address", s.BindAddress),
		CheckPort("port", s.Port),
		CheckPositive("shutdown-timeout", s.ShutdownTimeout),
	)
}

// Address returns the host:port to listen on.
func (s Serving) Address() string {
	return net.JoinHostPort(s.BindAddress, strconv.Itoa(s.Port))
}

// Process is what every daemon's app package reads besides its server's configuration: how to
// log, and which file the rest came from. Daemons embed it with `mapstructure:",squash"`.
type Process struct {
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log-level"`
	// LogFormat is json or console.
	LogFormat string `mapstructure:"log-format"`
	// File is the YAML file the configuration was read from, if any.
	File string `mapstructure:"config"`
}

// DefaultProcess returns the process settings a daemon starts with when nothing is set.
func DefaultProcess() Process {
	return Process{LogLevel: "info", LogFormat: "json"}
}

// AddFlags defines --log-level, --log-format and --config on fs with p as defaults. component
// names the daemon's environment variables in the help text.
func (p Process) AddFlags(fs *pflag.FlagSet, component string) {
	fs.String("log-level", p.LogLevel, "log level: debug, info, warn or error")
	fs.String("log-format", p.LogFormat, "log format: json or console")
	fs.String(FileFlag, p.File,
		"YAML file whose keys are flag names; flags and "+EnvVar(component, "<FLAG>")+" variables override it")
}

// Validate reports an unknown log level or format.
func (p Process) Validate() error {
	return log.Validate(p.LogLevel, p.LogFormat)
}
