// Package app wires keelson-kubelet together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/kubelet/internal/runtime/process"
	"github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
)

// component names keelson-kubelet in environment variables (KEELSON_KUBELET_<FLAG>).
const component = "kubelet"

// Config is everything keelson-kubelet reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-kubelet's flags with their defaults. Every flag is also read from
// KEELSON_KUBELET_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	d.Serving.AddFlags(fs)
	d.APIClient.AddFlags(fs)
	fs.String("hostname-override", d.HostnameOverride, "node name to use instead of the host name")
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// monitorCommand is the hidden subcommand under which the process runtime re-executes this
// binary as a container's monitor (see process.RunMonitor).
const monitorCommand = "monitor"

// Run runs keelson-kubelet with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help. With the hidden first argument
// "monitor" it is instead a container monitor of the process runtime.
func Run(args []string) error {
	if len(args) > 0 && args[0] == monitorCommand {
		return process.RunMonitor(args[1:])
	}
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
