package server

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/controller-manager/internal/replicaset"
)

// Controllers returns every controller the controller manager can run, by the name --controllers
// knows it by, in the order they are built.
func Controllers() []manager.Registration {
	return []manager.Registration{
		{Name: replicaset.ReplicaSetName, New: replicaset.NewReplicaSetController},
		{Name: replicaset.ReplicationControllerName, New: replicaset.NewReplicationController},
	}
}

// ControllerNames returns the names of Controllers(), in order.
func ControllerNames() []string {
	regs := Controllers()
	names := make([]string, len(regs))
	for i, r := range regs {
		names[i] = r.Name
	}
	return names
}
