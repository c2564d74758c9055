package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/keelson-dev/keelson/pkg/config"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
)

// Config is what a scheduler needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// Serving is where the health and metrics endpoint listens.
	config.Serving `mapstructure:",squash"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`
	// LeaderElection says whether and how replicas elect the one that schedules.
	config.LeaderElection `mapstructure:",squash"`
	// SchedulerName is the spec.schedulerName of the pods this scheduler places.
	SchedulerName string `mapstructure:"scheduler-name"`
	// AlgorithmProvider names the registered algorithm provider to schedule with.
	AlgorithmProvider string `mapstructure:"algorithm-provider"`
	// PercentageOfNodesToScore is the share of a large cluster's nodes searched for feasible ones
	// per pod; 0 adapts it to the cluster's size as kube-scheduler does.
	PercentageOfNodesToScore int `mapstructure:"percentage-of-nodes-to-score"`
	// Parallelism is how many goroutines filter and score at once; 0 uses every CPU.
	Parallelism int `mapstructure:"parallelism"`
	// BindConcurrency bounds the bindings written at once.
	BindConcurrency int `mapstructure:"bind-concurrency"`
	// PodInitialBackoff and PodMaxBackoff bound the backoff of pods that failed an attempt.
	PodInitialBackoff time.Duration `mapstructure:"pod-initial-backoff"`
	PodMaxBackoff     time.Duration `mapstructure:"pod-max-backoff"`
}

// DefaultConfig returns the configuration a scheduler runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Serving:           config.Serving{BindAddress: "127.0.0.1", Port: 10259, ShutdownTimeout: 10 * time.Second},
		APIClient:         config.DefaultAPIClient(),
		LeaderElection:    config.DefaultLeaderElection("keelson-scheduler"),
		SchedulerName:     "default-scheduler",
		AlgorithmProvider: algorithmprovider.DefaultProvider,
		BindConcurrency:   256,
		PodInitialBackoff: time.Second,
		PodMaxBackoff:     10 * time.Second,
	}
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	errs := []error{c.Serving.Validate(), c.APIClient.Validate(), c.LeaderElection.Validate()}
	if c.SchedulerName == "" {
		errs = append(errs, errors.New("--scheduler-name: must not be empty"))
	}
	if _, ok := algorithmprovider.NewDefaultRegistry().Provider(c.AlgorithmProvider); !ok {
		errs = append(errs, fmt.Errorf("--algorithm-provider: unknown provider %q (registered: %v)",
			c.AlgorithmProvider, algorithmprovider.NewDefaultRegistry().Providers()))
	}
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		errs = append(errs, fmt.Errorf("--percentage-of-nodes-to-score: %d is not from 0 to 100", c.PercentageOfNodesToScore))
	}
	if c.Parallelism < 0 {
		errs = append(errs, fmt.Errorf("--parallelism: %d is negative", c.Parallelism))
	}
	if c.BindConcurrency <= 0 {
		errs = append(errs, fmt.Errorf("--bind-concurrency: %d is not positive", c.BindConcurrency))
	}
	errs = append(errs, config.CheckPositive("pod-initial-backoff", c.PodInitialBackoff),
		config.CheckPositive("pod-max-backoff", c.PodMaxBackoff))
	if c.PodMaxBackoff < c.PodInitialBackoff {
		errs = append(errs, fmt.Errorf("--pod-max-backoff: %s is less than --pod-initial-backoff %s", c.PodMaxBackoff, c.PodInitialBackoff))
	}
	return errors.Join(errs...)
}
