package manager

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// NodeConfig holds the settings of the node lifecycle, node IPAM and pod GC controllers, named
// and defaulted as kube-controller-manager's flags. The mapstructure tags are the flag names.
type NodeConfig struct {
	// NodeMonitorPeriod is how often node health is checked.
	NodeMonitorPeriod time.Duration `mapstructure:"node-monitor-period"`
	// NodeMonitorGracePeriod is how long a node may go without renewing its Lease or posting
	// status before it is marked unhealthy (Ready=Unknown).
	NodeMonitorGracePeriod time.Duration `mapstructure:"node-monitor-grace-period"`
	// NodeStartupGracePeriod is how long a node that never posted status may take to post it.
	NodeStartupGracePeriod time.Duration `mapstructure:"node-startup-grace-period"`
	// NodeEvictionRate is how many nodes per second get the NoExecute taint in a healthy zone;
	// SecondaryNodeEvictionRate in a partially disrupted zone of more than
	// LargeClusterSizeThreshold nodes (smaller ones get none).
	NodeEvictionRate          float64 `mapstructure:"node-eviction-rate"`
	SecondaryNodeEvictionRate float64 `mapstructure:"secondary-node-eviction-rate"`
	LargeClusterSizeThreshold int     `mapstructure:"large-cluster-size-threshold"`
	// UnhealthyZoneThreshold is the share of not-ready nodes (at least three) that makes a zone
	// partially disrupted.
	UnhealthyZoneThreshold float64 `mapstructure:"unhealthy-zone-threshold"`
	// AllocateNodeCIDRs gives every node a spec.podCIDR from ClusterCIDR (comma-separated, one
	// per IP family) of NodeCIDRMaskSize bits (IPv4) or NodeCIDRMaskSizeIPv6 bits.
	AllocateNodeCIDRs    bool   `mapstructure:"allocate-node-cidrs"`
	ClusterCIDR          string `mapstructure:"cluster-cidr"`
	NodeCIDRMaskSize     int    `mapstructure:"node-cidr-mask-size"`
	NodeCIDRMaskSizeIPv6 int    `mapstructure:"node-cidr-mask-size-ipv6"`
	// TerminatedPodGCThreshold is how many terminated pods may exist before the oldest are
	// deleted; zero or less never deletes them.
	TerminatedPodGCThreshold int `mapstructure:"terminated-pod-gc-threshold"`
}

// DefaultNodeConfig returns kube-controller-manager's defaults.
func DefaultNodeConfig() NodeConfig {
	return NodeConfig{
		NodeMonitorPeriod: 5 * time.Second, NodeMonitorGracePeriod: 40 * time.Second, NodeStartupGracePeriod: time.Minute,
		NodeEvictionRate: 0.1, SecondaryNodeEvictionRate: 0.01, LargeClusterSizeThreshold: 50, UnhealthyZoneThreshold: 0.55,
		NodeCIDRMaskSize: 24, NodeCIDRMaskSizeIPv6: 64, TerminatedPodGCThreshold: 12500,
	}
}

// AddFlags adds the node controllers' flags to fs with c's values as defaults.
func (c NodeConfig) AddFlags(fs *pflag.FlagSet) {
	fs.Duration("node-monitor-period", c.NodeMonitorPeriod, "how often node health is checked")
	fs.Duration("node-monitor-grace-period", c.NodeMonitorGracePeriod, "how long a node may go without renewing its lease before it is marked unhealthy")
	fs.Duration("node-startup-grace-period", c.NodeStartupGracePeriod, "how long a new node may take to post its first status")
	fs.Float64("node-eviction-rate", c.NodeEvictionRate, "nodes per second tainted for eviction in a healthy zone")
	fs.Float64("secondary-node-eviction-rate", c.SecondaryNodeEvictionRate, "nodes per second tainted for eviction in a partially disrupted large zone")
	fs.Int("large-cluster-size-threshold", c.LargeClusterSizeThreshold, "zone size above which a partially disrupted zone still evicts, at the secondary rate")
	fs.Float64("unhealthy-zone-threshold", c.UnhealthyZoneThreshold, "share of not-ready nodes (at least 3) that makes a zone partially disrupted")
	fs.Bool("allocate-node-cidrs", c.AllocateNodeCIDRs, "give every node a pod CIDR from --cluster-cidr")
	fs.String("cluster-cidr", c.ClusterCIDR, "CIDR range of pods (comma-separated for dual stack)")
	fs.Int("node-cidr-mask-size", c.NodeCIDRMaskSize, "prefix length of an IPv4 node pod CIDR")
	fs.Int("node-cidr-mask-size-ipv6", c.NodeCIDRMaskSizeIPv6, "prefix length of an IPv6 node pod CIDR")
	fs.Int("terminated-pod-gc-threshold", c.TerminatedPodGCThreshold, "terminated pods kept before the oldest are deleted (<= 0: never)")
}

// Validate reports every invalid setting, naming its flag.
func (c NodeConfig) Validate() error {
	var errs []error
	for flag, d := range map[string]time.Duration{
		"node-monitor-period": c.NodeMonitorPeriod, "node-monitor-grace-period": c.NodeMonitorGracePeriod,
		"node-startup-grace-period": c.NodeStartupGracePeriod,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, not %s", flag, d))
		}
	}
	if c.NodeEvictionRate < 0 || c.SecondaryNodeEvictionRate < 0 {
		errs = append(errs, fmt.Errorf("--node-eviction-rate and --secondary-node-eviction-rate must not be negative"))
	}
	if c.UnhealthyZoneThreshold <= 0 || c.UnhealthyZoneThreshold > 1 {
		errs = append(errs, fmt.Errorf("--unhealthy-zone-threshold must be in (0, 1], not %v", c.UnhealthyZoneThreshold))
	}
	if c.AllocateNodeCIDRs {
		if _, err := c.ClusterCIDRs(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ClusterCIDRs parses --cluster-cidr: at most one prefix per IP family, each shorter than its
// node mask size.
func (c NodeConfig) ClusterCIDRs() ([]netip.Prefix, error) {
	if strings.TrimSpace(c.ClusterCIDR) == "" {
		return nil, errors.New("--allocate-node-cidrs needs --cluster-cidr")
	}
	var out []netip.Prefix
	families := map[bool]bool{}
	for _, s := range strings.Split(c.ClusterCIDR, ",") {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("--cluster-cidr: %w", err)
		}
		p = p.Masked()
		if families[p.Addr().Is4()] {
			return nil, fmt.Errorf("--cluster-cidr %q: at most one range per IP family", c.ClusterCIDR)
		}
		families[p.Addr().Is4()] = true
		if mask := c.MaskSize(p); mask < p.Bits() || mask > p.Addr().BitLen() || mask-p.Bits() > 30 {
			return nil, fmt.Errorf("--cluster-cidr %s: node mask size %d must be between %d and %d and split it into at most 2^30 ranges",
				p, mask, p.Bits(), min(p.Addr().BitLen(), p.Bits()+30))
		}
		out = append(out, p)
	}
	return out, nil
}

// MaskSize returns the node pod CIDR prefix length for cluster range p's IP family.
func (c NodeConfig) MaskSize(p netip.Prefix) int {
	if p.Addr().Is4() {
		return c.NodeCIDRMaskSize
	}
	return c.NodeCIDRMaskSizeIPv6
}
