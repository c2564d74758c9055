package manager

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Config holds the settings controllers read from the command line. The mapstructure tags are the
// flag names.
type Config struct {
	// Controllers selects the controllers to run as kube-controller-manager's --controllers does:
	// "*" is every controller, "name" enables one and "-name" disables one.
	Controllers []string `mapstructure:"controllers"`
	// ConcurrentReplicaSetSyncs is how many replica sets are reconciled at once.
	ConcurrentReplicaSetSyncs int `mapstructure:"concurrent-replicaset-syncs"`
	// ConcurrentRCSyncs is how many replication controllers are reconciled at once.
	ConcurrentRCSyncs int `mapstructure:"concurrent-rc-syncs"`
	// ConcurrentEndpointSyncs, ConcurrentNamespaceSyncs and ConcurrentServiceAccountTokenSyncs
	// are how many services, namespaces and service accounts are reconciled at once.
	ConcurrentEndpointSyncs            int `mapstructure:"concurrent-endpoint-syncs"`
	ConcurrentNamespaceSyncs           int `mapstructure:"concurrent-namespace-syncs"`
	ConcurrentServiceAccountTokenSyncs int `mapstructure:"concurrent-serviceaccount-token-syncs"`
	// ConcurrentStatefulSetSyncs is how many stateful sets are reconciled at once.
	ConcurrentStatefulSetSyncs int `mapstructure:"concurrent-statefulset-syncs"`
	// ServiceAccountPrivateKeyFile signs service account tokens (PEM, RSA or ECDSA); without it
	// the token controller does not run. RootCAFile, if set, goes into every token Secret as
	// ca.crt.
	// ConcurrentDaemonSetSyncs and ConcurrentJobSyncs are the daemon sets and jobs reconciled
	// at once (--concurrent-daemonset-syncs, --concurrent-job-syncs).
	ConcurrentDaemonSetSyncs     int    `mapstructure:"concurrent-daemonset-syncs"`
	ConcurrentJobSyncs           int    `mapstructure:"concurrent-job-syncs"`
	ServiceAccountPrivateKeyFile string `mapstructure:"service-account-private-key-file"`
	RootCAFile                   string `mapstructure:"root-ca-file"`

	// ConcurrentDeploymentSyncs is how many deployments are reconciled at once.
	ConcurrentDeploymentSyncs int `mapstructure:"concurrent-deployment-syncs"`
	// ConcurrentResourceQuotaSyncs is how many resource quotas are recounted at once, and
	// ResourceQuotaSyncPeriod how often every quota is recounted.
	ConcurrentResourceQuotaSyncs int           `mapstructure:"concurrent-resource-quota-syncs"`
	ResourceQuotaSyncPeriod      time.Duration `mapstructure:"resource-quota-sync-period"`
	// EnableGarbageCollector runs the garbage collector; ConcurrentGCSyncs is how many objects
	// it collects at once.
	EnableGarbageCollector bool `mapstructure:"enable-garbage-collector"`
	ConcurrentGCSyncs      int  `mapstructure:"concurrent-gc-syncs"`
	// Node configures the node lifecycle, node IPAM and pod GC controllers.
	Node NodeConfig `mapstructure:",squash"`
	// Signing configures the csrsigning controller.
	Signing SigningConfig `mapstructure:",squash"`
}

// DefaultConfig returns the settings of kube-controller-manager: every controller, five workers
// each.
func DefaultConfig() Config {
	return Config{
		Controllers: []string{"*"}, ConcurrentReplicaSetSyncs: 5, ConcurrentRCSyncs: 5,
		ConcurrentEndpointSyncs: 5, ConcurrentNamespaceSyncs: 10, ConcurrentServiceAccountTokenSyncs: 5,
		ConcurrentStatefulSetSyncs:   5,
		ConcurrentDeploymentSyncs:    5,
		ConcurrentResourceQuotaSyncs: 5, ResourceQuotaSyncPeriod: 5 * time.Minute,
		EnableGarbageCollector: true, ConcurrentGCSyncs: 20,
		Node:                     DefaultNodeConfig(),
		Signing:                  DefaultSigningConfig(),
		ConcurrentDaemonSetSyncs: 2, ConcurrentJobSyncs: 5,
	}
}

// AddFlags adds the controller flags to fs with c's values as defaults.
func (c Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringSlice("controllers", c.Controllers,
		"controllers to run: '*' runs every controller, 'foo' enables the controller named foo, '-foo' disables it")
	fs.Int("concurrent-replicaset-syncs", c.ConcurrentReplicaSetSyncs, "replica sets reconciled at once")
	fs.Int("concurrent-rc-syncs", c.ConcurrentRCSyncs, "replication controllers reconciled at once")
	fs.Int("concurrent-endpoint-syncs", c.ConcurrentEndpointSyncs, "services whose Endpoints are reconciled at once")
	fs.Int("concurrent-namespace-syncs", c.ConcurrentNamespaceSyncs, "namespaces deleted at once")
	fs.Int("concurrent-serviceaccount-token-syncs", c.ConcurrentServiceAccountTokenSyncs, "service accounts whose token Secrets are reconciled at once")
	fs.Int("concurrent-statefulset-syncs", c.ConcurrentStatefulSetSyncs, "stateful sets reconciled at once")
	fs.Int("concurrent-daemonset-syncs", c.ConcurrentDaemonSetSyncs, "daemon sets reconciled at once")
	fs.Int("concurrent-job-syncs", c.ConcurrentJobSyncs, "jobs reconciled at once")
	fs.String("service-account-private-key-file", c.ServiceAccountPrivateKeyFile,
		"PEM private key (RSA or ECDSA) that signs service account tokens; without it no token Secrets are made")
	fs.String("root-ca-file", c.RootCAFile, "PEM CA bundle put into service account token Secrets as ca.crt")
	fs.Int("concurrent-deployment-syncs", c.ConcurrentDeploymentSyncs, "deployments reconciled at once")
	fs.Int("concurrent-resource-quota-syncs", c.ConcurrentResourceQuotaSyncs, "resource quotas recounted at once")
	fs.Duration("resource-quota-sync-period", c.ResourceQuotaSyncPeriod, "how often every resource quota's usage is recounted")
	fs.Bool("enable-garbage-collector", c.EnableGarbageCollector, "run the garbage collector, which deletes objects whose owners are gone")
	fs.Int("concurrent-gc-syncs", c.ConcurrentGCSyncs, "objects the garbage collector processes at once")
	c.Node.AddFlags(fs)
	c.Signing.AddFlags(fs)
}

// Validate reports every invalid setting, naming its flag. known are the registered controller
// names that --controllers may name.
func (c Config) Validate(known []string) error {
	var errs []error
	if _, err := Select(c.Controllers, known); err != nil {
		errs = append(errs, err)
	}
	if c.ConcurrentReplicaSetSyncs < 1 {
		errs = append(errs, fmt.Errorf("--concurrent-replicaset-syncs must be at least 1, not %d", c.ConcurrentReplicaSetSyncs))
	}
	for flag, n := range map[string]int{
		"concurrent-rc-syncs": c.ConcurrentRCSyncs, "concurrent-endpoint-syncs": c.ConcurrentEndpointSyncs,
		"concurrent-namespace-syncs": c.ConcurrentNamespaceSyncs, "concurrent-serviceaccount-token-syncs": c.ConcurrentServiceAccountTokenSyncs,
		"concurrent-statefulset-syncs":    c.ConcurrentStatefulSetSyncs,
		"concurrent-deployment-syncs":     c.ConcurrentDeploymentSyncs,
		"concurrent-resource-quota-syncs": c.ConcurrentResourceQuotaSyncs, "concurrent-gc-syncs": c.ConcurrentGCSyncs,
		"concurrent-daemonset-syncs": c.ConcurrentDaemonSetSyncs, "concurrent-job-syncs": c.ConcurrentJobSyncs,
	} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("--%s must be at least 1, not %d", flag, n))
		}
	}
	if c.ResourceQuotaSyncPeriod <= 0 {
		errs = append(errs, fmt.Errorf("--resource-quota-sync-period must be positive, not %s", c.ResourceQuotaSyncPeriod))
	}
	errs = append(errs, c.Node.Validate(), c.Signing.Validate())
	return errors.Join(errs...)
}
