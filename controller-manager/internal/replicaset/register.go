package replicaset

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Registration names of the two controllers, as kube-controller-manager names them.
const (
	ReplicaSetName            = "replicaset"
	ReplicationControllerName = "replicationcontroller"
)

// NewReplicaSetController is the manager.Constructor of the ReplicaSet controller: it runs
// --concurrent-replicaset-syncs workers and records events as "replicaset-controller".
func NewReplicaSetController(ctx *manager.Context) (manager.Controller, error) {
	return New(Config[*appsv1.ReplicaSet]{
		Kind: ReplicaSets(), Client: ctx.Client, Informers: ctx.Informers,
		Recorder: ctx.Recorder("replicaset-controller"), Workers: ctx.Config.ConcurrentReplicaSetSyncs,
		Clock: ctx.Clock, Logger: ctx.Logger,
	}), nil
}

// NewReplicationController is the manager.Constructor of the ReplicationController controller:
// it runs --concurrent-rc-syncs workers and records events as "replication-controller".
func NewReplicationController(ctx *manager.Context) (manager.Controller, error) {
	return New(Config[*corev1.ReplicationController]{
		Kind: ReplicationControllers(), Client: ctx.Client, Informers: ctx.Informers,
		Recorder: ctx.Recorder("replication-controller"), Workers: ctx.Config.ConcurrentRCSyncs,
		Clock: ctx.Clock, Logger: ctx.Logger,
	}), nil
}
