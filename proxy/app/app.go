// Package app wires keelson-proxy together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/proxy/server"
)

// component names keelson-proxy in environment variables (KEELSON_PROXY_<FLAG>).
const component = "proxy"

// Config is everything keelson-proxy reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-proxy's flags with their defaults. Every flag is also read from
// KEELSON_PROXY_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	server.DefaultConfig().AddFlags(fs)
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// Run runs keelson-proxy with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help.
func Run(args []string) error {
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
