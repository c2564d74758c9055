package server

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodeipam"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodelifecycle"
	"github.com/keelson-dev/keelson/controller-manager/internal/podgc"
)

// NodeLifecycleOptions maps the node flags to the node lifecycle controller's options. An
// eviction rate of zero taints no node for eviction, as in Kubernetes.
func NodeLifecycleOptions(c manager.NodeConfig) nodelifecycle.Options {
	off := func(rate float64) float64 {
		if rate == 0 {
			return -1 // the controller's zero means its default
		}
		return rate
	}
	return nodelifecycle.Options{
		MonitorPeriod: c.NodeMonitorPeriod, GracePeriod: c.NodeMonitorGracePeriod, StartupGracePeriod: c.NodeStartupGracePeriod,
		EvictionRate: off(c.NodeEvictionRate), SecondaryEvictionRate: off(c.SecondaryNodeEvictionRate),
		LargeClusterThreshold: c.LargeClusterSizeThreshold, UnhealthyZoneThreshold: c.UnhealthyZoneThreshold,
	}
}

// NodeIPAMOptions maps --cluster-cidr and the mask sizes to the node IPAM controller's options.
func NodeIPAMOptions(c manager.NodeConfig) (nodeipam.Options, error) {
	prefixes, err := c.ClusterCIDRs()
	if err != nil {
		return nodeipam.Options{}, err
	}
	var opts nodeipam.Options
	for _, p := range prefixes {
		opts.Ranges = append(opts.Ranges, nodeipam.Range{Cluster: p, MaskBits: c.MaskSize(p)})
	}
	return opts, nil
}

// PodGCOptions maps --terminated-pod-gc-threshold to the pod GC's options.
func PodGCOptions(c manager.NodeConfig) podgc.Options {
	return podgc.Options{TerminatedPodThreshold: c.TerminatedPodGCThreshold}
}
