package predicates

import (
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// DiskConflict rules out nodes where a pod already uses a hostPath directory the pod mounts,
// unless both mount it read-only: the seeds' NoDiskConflict, for the volumes a Keelson node has.
type DiskConflict struct{}

// Name implements algorithm.Predicate.
func (DiskConflict) Name() string { return NameNoDiskConflict }

// Filter implements algorithm.Predicate.
func (DiskConflict) Filter(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	var reasons []algorithm.Reason
	for _, hp := range pod.HostPaths {
		c, used := ni.HostPaths[hp.Path]
		if !used || (hp.ReadOnly && c.ReadWrite == 0) {
			continue
		}
		what := "read-write"
		if c.ReadWrite == 0 {
			what = "read-only"
		}
		reasons = append(reasons, algorithm.Reason{
			Summary: "hostPath " + hp.Path + " already in use",
			Detail:  "hostPath " + hp.Path + " already in use (mounted " + what + " by another pod)",
		})
	}
	return reasons
}
