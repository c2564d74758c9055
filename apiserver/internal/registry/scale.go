package registry

import (
	"context"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// ScaleOptions qualify an UpdateScale.
type ScaleOptions struct {
	DryRun bool
	// FieldManager names the writer in the workload's metadata.managedFields.
	FieldManager string
}

// ScaleFunc computes the Scale to write from the workload's current one, which it may change and
// return. It may run several times, each time on a newer workload, and must do nothing but compute.
type ScaleFunc func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error)

// GetScale returns the autoscaling/v1 Scale of the named workload: its spec and status replicas
// and, in status.selector, its pod selector in string form.
func (s *Store) GetScale(ctx context.Context, namespace, name string) (*autoscalingv1.Scale, error) {
	if !s.kind.HasSubresource("scale") {
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/scale", "get")
	}
	obj, err := s.Get(ctx, namespace, name, GetOptions{})
	if err != nil {
		return nil, err
	}
	return scaleOf(obj)
}

// UpdateScale sets the named workload's spec.replicas to that of the Scale fn computes from the
// current one, through the workload's read-modify-write cycle. A resourceVersion in that Scale pins
// the workload's: the write fails with Conflict when the workload moved on. It returns the Scale of
// the workload as stored.
func (s *Store) UpdateScale(ctx context.Context, namespace, name string, opts ScaleOptions, fn ScaleFunc) (*autoscalingv1.Scale, error) {
	if !s.kind.HasSubresource("scale") {
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/scale", "update")
	}
	if name == "" {
		return nil, apierrors.NewInvalid("autoscaling", "Scale", name, []apierrors.Cause{{
			Type: "FieldValueRequired", Field: "metadata.name", Message: "Required value: name is required"}})
	}
	out, _, err := s.Modify(ctx, namespace, name, ModifyOptions{DryRun: opts.DryRun, FieldManager: opts.FieldManager},
		func(cur scheme.Object) (scheme.Object, error) {
			curScale, err := scaleOf(cur)
			if err != nil {
				return nil, err
			}
			next, err := fn(curScale)
			if err != nil {
				return nil, err
			}
			if n := next.GetMetadata().GetName(); n != "" && n != name {
				return nil, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", n, name)
			}
			if err := s.checkObjectNamespace(next.GetMetadata().GetNamespace(), namespace); err != nil {
				return nil, err
			}
			if r := next.GetSpec().GetReplicas(); r < 0 {
				return nil, apierrors.NewInvalid("autoscaling", "Scale", name, []apierrors.Cause{{
					Type: "FieldValueInvalid", Field: "spec.replicas",
					Message: "Invalid value: " + strconv.Itoa(int(r)) + ": must be greater than or equal to 0"}})
			}
			if err := setReplicas(cur, next.GetSpec().GetReplicas()); err != nil {
				return nil, err
			}
			if rv := next.GetMetadata().GetResourceVersion(); rv != "" {
				scheme.Meta(cur).ResourceVersion = rv
			}
			return cur, nil
		})
	if err != nil {
		return nil, err
	}
	return scaleOf(out)
}

// scaleOf returns the Scale of a workload.
func scaleOf(workload scheme.Object) (*autoscalingv1.Scale, error) {
	m := workload.GetMetadata()
	sc := &autoscalingv1.Scale{
		Metadata: &metav1.ObjectMeta{
			Name: m.GetName(), Namespace: m.GetNamespace(), Uid: m.GetUid(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp(),
		},
		Spec:   &autoscalingv1.ScaleSpec{},
		Status: &autoscalingv1.ScaleStatus{},
	}
	var sel *metav1.LabelSelector
	switch w := workload.(type) {
	case *corev1.ReplicationController:
		sc.Spec.Replicas, sc.Status.Replicas = w.GetSpec().GetReplicas(), w.GetStatus().GetReplicas()
		sc.Status.Selector = labels.Set(w.GetSpec().GetSelector()).String()
		return sc, nil
	case *appsv1.ReplicaSet:
		sc.Spec.Replicas, sc.Status.Replicas, sel = w.GetSpec().GetReplicas(), w.GetStatus().GetReplicas(), w.GetSpec().GetSelector()
	case *appsv1.Deployment:
		sc.Spec.Replicas, sc.Status.Replicas, sel = w.GetSpec().GetReplicas(), w.GetStatus().GetReplicas(), w.GetSpec().GetSelector()
	case *appsv1.StatefulSet:
		sc.Spec.Replicas, sc.Status.Replicas, sel = w.GetSpec().GetReplicas(), w.GetStatus().GetReplicas(), w.GetSpec().GetSelector()
	default:
		return nil, apierrors.NewInternal(errNoScale(workload))
	}
	if sel != nil {
		s, err := labels.FromLabelSelector(sel)
		if err != nil {
			return nil, apierrors.NewInternal(err)
		}
		sc.Status.Selector = s.String()
	}
	return sc, nil
}

// setReplicas sets a workload's spec.replicas.
func setReplicas(workload scheme.Object, n int32) error {
	m := workload.ProtoReflect()
	specFD := m.Descriptor().Fields().ByName("spec")
	if specFD == nil || specFD.Message() == nil {
		return apierrors.NewInternal(errNoScale(workload))
	}
	spec := m.Mutable(specFD).Message()
	fd := spec.Descriptor().Fields().ByName("replicas")
	if fd == nil || fd.Kind() != protoreflect.Int32Kind {
		return apierrors.NewInternal(errNoScale(workload))
	}
	spec.Set(fd, protoreflect.ValueOfInt32(n))
	return nil
}

// errNoScale says that a workload's kind has no replicas to scale.
func errNoScale(workload scheme.Object) error {
	return fmt.Errorf("%s has no scale subresource", workload.ProtoReflect().Descriptor().FullName())
}
