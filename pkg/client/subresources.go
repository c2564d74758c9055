package client

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// ApplyOptions qualify an Apply.
type ApplyOptions struct {
	// FieldManager names the applier; it is required.
	FieldManager string
	// Force takes fields another manager owns instead of failing with Conflict.
	Force  bool
	DryRun bool
}

// Apply is server-side apply: config is an applied configuration, the Kubernetes YAML or JSON of
// the fields the manager wants to own (apiVersion, kind and metadata.name included). The server
// merges it into the named object, creating it when missing, records the manager's fields in
// metadata.managedFields, and fails with Conflict naming every field another manager owns unless
// opts.Force is set. An apply is idempotent, so it is retried like a read.
func (r *Resource[T]) Apply(ctx context.Context, name string, config []byte, opts ApplyOptions) (T, error) {
	var zero T
	var resp *resourcev1.PatchResponse
	err := r.c.retry(ctx, always, func(int) (err error) {
		resp, err = r.c.rpc.Patch(ctx, &resourcev1.PatchRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, PatchType: string(ApplyPatch), Patch: config,
			DryRun: opts.DryRun, FieldManager: opts.FieldManager, Force: opts.Force,
		}, waitForReady)
		return err
	})
	if err != nil {
		return zero, err
	}
	return r.unpack(resp.GetObject())
}

// GetScale returns the scale subresource of the named workload (a replication controller, replica
// set, deployment or stateful set): its desired and current replicas and its pod selector.
func (r *Resource[T]) GetScale(ctx context.Context, name string) (*autoscalingv1.Scale, error) {
	var resp *resourcev1.GetResponse
	err := r.c.retry(ctx, always, func(int) (err error) {
		resp, err = r.c.rpc.Get(ctx, &resourcev1.GetRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, Subresource: "scale",
		}, waitForReady)
		return err
	})
	if err != nil {
		return nil, err
	}
	return unpackScale(resp.GetObject())
}

// UpdateScale sets the replicas of the workload sc names to sc.spec.replicas and returns the
// workload's Scale as stored. A resourceVersion in sc makes the write fail with Conflict when the
// workload changed since; a retry that meets Conflict succeeds when the workload already has the
// replicas asked for.
func (r *Resource[T]) UpdateScale(ctx context.Context, sc *autoscalingv1.Scale, opts ...UpdateOptions) (*autoscalingv1.Scale, error) {
	o := first(opts)
	a, err := scheme.Pack(sc)
	if err != nil {
		return nil, err
	}
	var resp *resourcev1.UpdateResponse
	unknown := false
	err = r.c.retry(ctx, always, func(attempt int) (err error) {
		resp, err = r.c.rpc.Update(ctx, &resourcev1.UpdateRequest{
			Resource: r.gvr, Namespace: r.namespace, Object: a, Subresource: "scale",
			DryRun: o.DryRun, FieldManager: o.FieldManager,
		}, waitForReady)
		if attempt > 0 && unknown && apierrors.IsConflict(apierrors.FromGRPC(err)) {
			if cur, gerr := r.GetScale(ctx, sc.GetMetadata().GetName()); gerr == nil && cur.GetSpec().GetReplicas() == sc.GetSpec().GetReplicas() {
				resp, err = &resourcev1.UpdateResponse{Object: mustPack(cur)}, nil
			}
		}
		unknown = unknown || unavailable(err)
		return err
	})
	if err != nil {
		return nil, err
	}
	return unpackScale(resp.GetObject())
}

// unpackScale decodes a Scale the server returned.
func unpackScale(a *anypb.Any) (*autoscalingv1.Scale, error) {
	sc := &autoscalingv1.Scale{}
	if a == nil || a.MessageName() != sc.ProtoReflect().Descriptor().FullName() {
		return nil, apierrors.NewInternal(fmt.Errorf("decode Scale: the server returned a %s", a.MessageName()))
	}
	if err := wire.Unmarshal(a.GetValue(), sc); err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return sc, nil
}

// Evict evicts the named pod through the eviction subresource: the pod is deleted as a Delete with
// opts would delete it (grace period, preconditions), or the eviction fails with the reason. A
// retry that meets NotFound succeeds, as a Delete's does.
func (r *Resource[T]) Evict(ctx context.Context, name string, opts ...DeleteOptions) error {
	o := first(opts)
	ev := &policyv1.Eviction{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: r.namespace},
		DeleteOptions: &policyv1.DeleteOptions{
			GracePeriodSeconds: o.GracePeriodSeconds,
			PropagationPolicy:  optional(o.PropagationPolicy),
			Preconditions: &policyv1.Preconditions{
				Uid: optional(o.PreconditionUID), ResourceVersion: optional(o.PreconditionResourceVersion),
			},
		},
	}
	if o.DryRun {
		ev.DeleteOptions.DryRun = []string{"All"}
	}
	a, err := scheme.Pack(ev)
	if err != nil {
		return err
	}
	unknown := false
	return r.c.retry(ctx, always, func(attempt int) error {
		_, err := r.c.rpc.Create(ctx, &resourcev1.CreateRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, Subresource: "eviction", Object: a,
		}, waitForReady)
		if attempt > 0 && unknown && apierrors.IsNotFound(apierrors.FromGRPC(err)) {
			return nil
		}
		unknown = unknown || unavailable(err)
		return err
	})
}

// optional returns a pointer to s, or nil for "".
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
