package priorities

import (
	"context"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// The image sizes between which image locality scores, kube-scheduler's: below the minimum an
// image is cheap to pull anyway; the maximum is per container.
const (
	mb                   int64 = 1024 * 1024
	imageMinThreshold          = 23 * mb
	imageMaxPerContainer       = 1000 * mb
)

// ImageLocality favours nodes that already hold the pod's images, by their size, scaled down for
// images that many nodes hold (so that pods do not all pile onto the nodes with common images).
type ImageLocality struct{}

// Name implements algorithm.Priority.
func (ImageLocality) Name() string { return NameImageLocality }

// imageState is the total number of nodes, which scales each image's spread.
type imageState struct {
	totalNodes int
	imageNodes map[string]int
}

// PreScore implements algorithm.PreScore.
func (ImageLocality) PreScore(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot, _ []*nodeinfo.NodeInfo) error {
	held := false
	for _, img := range pod.Images {
		held = held || snap.ImageNodes[img] > 0
	}
	if !held {
		return algorithm.ErrSkip // no node holds any of the pod's images
	}
	state.Write(NameImageLocality, &imageState{totalNodes: snap.NumNodes(), imageNodes: snap.ImageNodes})
	return nil
}

// Score implements algorithm.Priority.
func (ImageLocality) Score(state *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	st, err := algorithm.Read[*imageState](state, NameImageLocality)
	if err != nil || st.totalNodes == 0 || len(pod.Images) == 0 {
		return 0
	}
	var sum int64
	for _, img := range pod.Images {
		if size, ok := ni.Images[img]; ok {
			sum += int64(float64(size) * float64(st.imageNodes[img]) / float64(st.totalNodes))
		}
	}
	hi := imageMaxPerContainer * int64(len(pod.Images))
	switch {
	case sum < imageMinThreshold:
		sum = imageMinThreshold
	case sum > hi:
		sum = hi
	}
	return algorithm.MaxNodeScore * (sum - imageMinThreshold) / (hi - imageMinThreshold)
}
