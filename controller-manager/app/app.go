// Package app wires keelson-controller-manager together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
)

// component names keelson-controller-manager in environment variables (KEELSON_CONTROLLER_MANAGER_<FLAG>).
const component = "controller-manager"

// Config is everything keelson-controller-manager reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-controller-manager's flags with their defaults. Every flag is also read from
// KEELSON_CONTROLLER_MANAGER_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	d.Serving.AddFlags(fs)
	d.APIClient.AddFlags(fs)
	d.LeaderElection.AddFlags(fs)
	d.Controllers.AddFlags(fs)
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// Run runs keelson-controller-manager with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help.
func Run(args []string) error {
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
