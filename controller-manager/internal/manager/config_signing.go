package manager

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// SigningConfig configures the csrsigning controller. The mapstructure tags are the flag names.
type SigningConfig struct {
	// ClusterSigningCertFile and ClusterSigningKeyFile are the cluster CA's PEM certificate and
	// private key that sign approved requests to Kubernetes' built-in signers; without them
	// csrsigning does not run.
	ClusterSigningCertFile string `mapstructure:"cluster-signing-cert-file"`
	ClusterSigningKeyFile  string `mapstructure:"cluster-signing-key-file"`
	// ClusterSigningDuration is the longest validity of an issued certificate (one year).
	ClusterSigningDuration time.Duration `mapstructure:"cluster-signing-duration"`
}

// DefaultSigningConfig returns kube-controller-manager's defaults.
func DefaultSigningConfig() SigningConfig {
	return SigningConfig{ClusterSigningDuration: 365 * 24 * time.Hour}
}

// AddFlags adds the signing flags to fs with c's values as defaults.
func (c SigningConfig) AddFlags(fs *pflag.FlagSet) {
	fs.String("cluster-signing-cert-file", c.ClusterSigningCertFile,
		"PEM cluster CA certificate that signs approved certificate signing requests; with --cluster-signing-key-file, runs csrsigning")
	fs.String("cluster-signing-key-file", c.ClusterSigningKeyFile, "PEM private key of --cluster-signing-cert-file")
	fs.Duration("cluster-signing-duration", c.ClusterSigningDuration,
		"longest validity of a signed certificate; a request's spec.expirationSeconds may shorten it, but not under 10m")
}

// Validate reports the invalid signing settings, naming their flags.
func (c SigningConfig) Validate() error {
	var errs []error
	if (c.ClusterSigningCertFile == "") != (c.ClusterSigningKeyFile == "") {
		errs = append(errs, errors.New("--cluster-signing-cert-file and --cluster-signing-key-file go together"))
	}
	if c.ClusterSigningDuration <= 0 {
		errs = append(errs, fmt.Errorf("--cluster-signing-duration must be positive, not %s", c.ClusterSigningDuration))
	}
	return errors.Join(errs...)
}
