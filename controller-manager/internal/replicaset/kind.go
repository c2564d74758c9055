package replicaset

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Kind adapts one workload type to the shared reconcile.
type Kind[T scheme.Object] struct {
	// Kind and APIVersion go into the ownerReferences of the pods a workload controls.
	Kind       string
	APIVersion string
	// Resource returns the client of the workloads of a namespace.
	Resource func(c *client.Client, namespace string) *client.Resource[T]
	// Spec reads what a workload asks for; an error means its selector is invalid.
	Spec func(T) (Spec, error)
	// Status reads a workload's status, as a ReplicaSet's (never nil).
	Status func(T) *appsv1.ReplicaSetStatus
	// WithStatus returns a copy of the workload carrying st as its status.
	WithStatus func(T, *appsv1.ReplicaSetStatus) T
}

// Spec is what a workload asks for.
type Spec struct {
	Replicas        int32
	MinReadySeconds int32
	Selector        labels.Selector
	Template        *corev1.PodTemplateSpec
}

// convert copies a status of one kind into the other's type. A ReplicationController's status and
// a ReplicaSet's are the same message under two names (same fields, same numbers), so the wire
// form of one is the other; TestStatusConversionKeepsEveryField guards that.
func convert[To proto.Message](from proto.Message, to To) To {
	b, err := proto.Marshal(from)
	if err == nil {
		err = proto.Unmarshal(b, to)
	}
	if err != nil {
		panic(fmt.Sprintf("replicaset: convert %T to %T: %v", from, to, err)) // generated messages always encode
	}
	return to
}

// replicasOf returns the desired replicas; unset means one, as the API defaults it.
func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// ReplicaSets adapts apps/v1 ReplicaSet.
func ReplicaSets() Kind[*appsv1.ReplicaSet] {
	return Kind[*appsv1.ReplicaSet]{
		Kind: "ReplicaSet", APIVersion: "apps/v1",
		Resource: (*client.Client).ReplicaSets,
		Spec: func(rs *appsv1.ReplicaSet) (Spec, error) {
			sel, err := labels.FromLabelSelector(rs.GetSpec().GetSelector())
			if err != nil {
				return Spec{}, fmt.Errorf("spec.selector: %w", err)
			}
			return Spec{
				Replicas: replicasOf(rs.GetSpec().Replicas), MinReadySeconds: rs.GetSpec().GetMinReadySeconds(),
				Selector: sel, Template: rs.GetSpec().GetTemplate(),
			}, nil
		},
		Status: func(rs *appsv1.ReplicaSet) *appsv1.ReplicaSetStatus {
			if rs.GetStatus() == nil {
				return &appsv1.ReplicaSetStatus{}
			}
			return rs.GetStatus()
		},
		WithStatus: func(rs *appsv1.ReplicaSet, st *appsv1.ReplicaSetStatus) *appsv1.ReplicaSet {
			rs = rs.CloneVT()
			rs.Status = st
			return rs
		},
	}
}

// ReplicationControllers adapts core/v1 ReplicationController: its selector is a label map, the
// template's labels when empty, as the API defaults it.
func ReplicationControllers() Kind[*corev1.ReplicationController] {
	return Kind[*corev1.ReplicationController]{
		Kind: "ReplicationController", APIVersion: "v1",
		Resource: (*client.Client).ReplicationControllers,
		Spec: func(rc *corev1.ReplicationController) (Spec, error) {
			set := rc.GetSpec().GetSelector()
			if len(set) == 0 {
				set = rc.GetSpec().GetTemplate().GetMetadata().GetLabels()
			}
			if len(set) == 0 {
				return Spec{}, fmt.Errorf("spec.selector: empty, and the template has no labels")
			}
			sel, err := labels.ValidatedSelectorFromSet(set)
			if err != nil {
				return Spec{}, fmt.Errorf("spec.selector: %w", err)
			}
			return Spec{
				Replicas: replicasOf(rc.GetSpec().Replicas), MinReadySeconds: rc.GetSpec().GetMinReadySeconds(),
				Selector: sel, Template: rc.GetSpec().GetTemplate(),
			}, nil
		},
		Status: func(rc *corev1.ReplicationController) *appsv1.ReplicaSetStatus {
			return convert(rc.GetStatus(), &appsv1.ReplicaSetStatus{})
		},
		WithStatus: func(rc *corev1.ReplicationController, st *appsv1.ReplicaSetStatus) *corev1.ReplicationController {
			rc = rc.CloneVT()
			rc.Status = convert(st, &corev1.ReplicationControllerStatus{})
			return rc
		},
	}
}
