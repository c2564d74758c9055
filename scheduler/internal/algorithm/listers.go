package algorithm

import (
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// Listers read the objects besides pods and nodes that priorities consider, from the scheduler's
// informers. A nil func lists nothing.
type Listers struct {
	Services               func(namespace string) []*corev1.Service
	ReplicationControllers func(namespace string) []*corev1.ReplicationController
	ReplicaSets            func(namespace string) []*appsv1.ReplicaSet
	StatefulSets           func(namespace string) []*appsv1.StatefulSet
	// NamespaceLabels resolves affinity terms' namespace selectors.
	NamespaceLabels nodeinfo.NamespaceLabels
}
