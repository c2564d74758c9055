// Package app wires keelson-scheduler together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/server"
)

// component names keelson-scheduler in environment variables (KEELSON_SCHEDULER_<FLAG>).
const component = "scheduler"

// Config is everything keelson-scheduler reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-scheduler's flags with their defaults. Every flag is also read from
// KEELSON_SCHEDULER_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	d.Serving.AddFlags(fs)
	d.APIClient.AddFlags(fs)
	d.LeaderElection.AddFlags(fs)
	fs.String("scheduler-name", d.SchedulerName, "spec.schedulerName of the pods this scheduler places")
	fs.String("algorithm-provider", d.AlgorithmProvider, "algorithm provider to schedule with: "+strings.Join(algorithmprovider.NewDefaultRegistry().Providers(), ", "))
	fs.Int("percentage-of-nodes-to-score", d.PercentageOfNodesToScore,
		"share of a large cluster's nodes searched for feasible ones per pod (0: adaptive, 50% less 1% per 125 nodes, at least 5%)")
	fs.Int("parallelism", d.Parallelism, "goroutines that filter and score at once (0: one per CPU)")
	fs.Int("bind-concurrency", d.BindConcurrency, "bindings written at once")
	fs.Duration("pod-initial-backoff", d.PodInitialBackoff, "backoff of a pod after its first failed attempt; it doubles with each attempt")
	fs.Duration("pod-max-backoff", d.PodMaxBackoff, "longest backoff of a pod that keeps failing")
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// Run runs keelson-scheduler with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help.
func Run(args []string) error {
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
