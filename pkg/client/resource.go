package client

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Resource is the typed client of one kind in one namespace ("" for cluster-scoped kinds, or for
// listing and watching all namespaces).
//
// Retries: a call that fails because no apiserver answered is retried on another endpoint when
// that is safe. Reads always are. A create with a fixed name is, because the client proposes the
// new object's uid (see scheme.CreateUID): a retry that meets AlreadyExists returns the stored
// object if it carries the uid derived from that proposal. An update is: without a resourceVersion it is idempotent, and with one a retry that meets
// Conflict returns the stored object when it is what this update wrote. A merge patch is (it is
// idempotent); a JSON patch is not. A delete is, and a retry that meets NotFound succeeds.
// Creates with generateName are never retried after the server may have seen them. Any call the
// server turned away unread because too many requests were in flight (429 with a retry-after) is
// retried after the pause the server asked for.
type Resource[T scheme.Object] struct {
	c         *Client
	kind      *scheme.Kind
	gvr       *resourcev1.GroupVersionResource
	namespace string
}

// For returns the client of T's kind in namespace. It panics if T is not a Keelson kind, which
// only a programming error can cause.
func For[T scheme.Object](c *Client, namespace string) *Resource[T] {
	var zero T
	k, ok := c.scheme.ForObject(zero)
	if !ok {
		panic(fmt.Sprintf("client: %T is not a registered kind", zero))
	}
	return &Resource[T]{
		c:         c,
		kind:      k,
		gvr:       &resourcev1.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource},
		namespace: namespace,
	}
}

// ForKind returns the client of kind k in namespace, for code that walks kinds it learns at run
// time (a scheme's kinds) rather than naming them. It hands out objects as scheme.Object; their
// dynamic types are k's messages. k must be a kind of c's scheme.
func ForKind(c *Client, k *scheme.Kind, namespace string) *Resource[scheme.Object] {
	return &Resource[scheme.Object]{
		c:         c,
		kind:      k,
		gvr:       &resourcev1.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource},
		namespace: namespace,
	}
}

// Kind returns the kind the client serves.
func (r *Resource[T]) Kind() *scheme.Kind { return r.kind }

// Namespace returns the namespace the client serves.
func (r *Resource[T]) Namespace() string { return r.namespace }

func (r *Resource[T]) unpack(a *anypb.Any) (T, error) {
	var zero T
	obj := r.kind.New()
	if a == nil {
		return zero, apierrors.NewInternal(fmt.Errorf("the server returned no %s", r.kind.Kind))
	}
	if a.MessageName() != obj.ProtoReflect().Descriptor().FullName() {
		return zero, apierrors.NewInternal(fmt.Errorf("decode %s: the server returned a %s", r.kind.Kind, a.MessageName()))
	}
	if err := wire.Unmarshal(a.GetValue(), obj); err != nil {
		return zero, apierrors.NewInternal(fmt.Errorf("decode %s: %w", r.kind.Kind, err))
	}
	return obj.(T), nil
}

func always(err error) bool { return unavailable(err) }

var waitForReady = grpc.WaitForReady(true)

// Get returns the named object.
func (r *Resource[T]) Get(ctx context.Context, name string, opts ...GetOptions) (T, error) {
	o := first(opts)
	var resp *resourcev1.GetResponse
	err := r.c.retry(ctx, always, func(int) (err error) {
		resp, err = r.c.rpc.Get(ctx, &resourcev1.GetRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, ResourceVersion: o.ResourceVersion,
		}, waitForReady)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return r.unpack(resp.GetObject())
}

// List is a page of a list.
type List[T scheme.Object] struct {
	Items           []T
	ResourceVersion string
	// Continue, when not empty, fetches the next page.
	Continue string
}

// List returns the objects the options select.
func (r *Resource[T]) List(ctx context.Context, opts ListOptions) (*List[T], error) {
	var resp *resourcev1.ListResponse
	err := r.c.retry(ctx, always, func(int) (err error) {
		resp, err = r.c.rpc.List(ctx, &resourcev1.ListRequest{
			Resource: r.gvr, Namespace: r.namespace,
			LabelSelector: opts.LabelSelector, FieldSelector: opts.FieldSelector,
			Limit: opts.Limit, Continue: opts.Continue, ResourceVersion: opts.ResourceVersion,
		}, waitForReady)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &List[T]{
		Items:           make([]T, 0, len(resp.GetItems())),
		ResourceVersion: resp.GetMetadata().GetResourceVersion(),
		Continue:        resp.GetMetadata().GetContinue(),
	}
	for _, a := range resp.GetItems() {
		obj, err := r.unpack(a)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, obj)
	}
	return out, nil
}

// Create creates obj in the client's namespace and returns it as stored.
func (r *Resource[T]) Create(ctx context.Context, obj T, opts ...CreateOptions) (T, error) {
	var zero T
	o := first(opts)
	a, err := scheme.Pack(obj)
	if err != nil {
		return zero, err
	}
	named := obj.GetMetadata().GetName() != ""
	uid := uuid.NewString()
	var resp *resourcev1.CreateResponse
	unknown := false // an earlier attempt may have reached the server
	retryable := func(err error) bool { return named && unavailable(err) }
	err = r.c.retry(ctx, retryable, func(attempt int) (err error) {
		resp, err = r.c.rpc.Create(ctx, &resourcev1.CreateRequest{
			Resource: r.gvr, Namespace: r.namespace, Object: a,
			DryRun: o.DryRun, FieldManager: o.FieldManager, Uid: uid,
		}, waitForReady)
		if attempt > 0 && unknown && apierrors.IsAlreadyExists(apierrors.FromGRPC(err)) {
			if cur, gerr := r.Get(ctx, obj.GetMetadata().GetName()); gerr == nil && cur.GetMetadata().GetUid() == scheme.CreateUID(r.kind, cur.GetMetadata().GetNamespace(), cur.GetMetadata().GetName(), uid) {
				resp, err = &resourcev1.CreateResponse{Object: mustPack(cur)}, nil
			}
		}
		unknown = unknown || unavailable(err)
		return err
	})
	if err != nil {
		return zero, err
	}
	return r.unpack(resp.GetObject())
}

func mustPack(obj scheme.Object) *anypb.Any {
	a, err := scheme.Pack(obj)
	if err != nil {
		panic(err) // a message just decoded always encodes
	}
	return a
}

// Update replaces obj (not its status) and returns it as stored. A resourceVersion in obj makes
// the update fail with Conflict when the object changed since.
func (r *Resource[T]) Update(ctx context.Context, obj T, opts ...UpdateOptions) (T, error) {
	return r.update(ctx, obj, "", first(opts))
}

// UpdateStatus replaces obj's status and returns the object as stored.
func (r *Resource[T]) UpdateStatus(ctx context.Context, obj T, opts ...UpdateOptions) (T, error) {
	return r.update(ctx, obj, "status", first(opts))
}

// UpdateSubresource replaces the named subresource of obj ("finalize" for namespaces).
func (r *Resource[T]) UpdateSubresource(ctx context.Context, obj T, subresource string, opts ...UpdateOptions) (T, error) {
	return r.update(ctx, obj, subresource, first(opts))
}

func (r *Resource[T]) update(ctx context.Context, obj T, sub string, o UpdateOptions) (T, error) {
	var zero T
	a, err := scheme.Pack(obj)
	if err != nil {
		return zero, err
	}
	req := &resourcev1.UpdateRequest{Resource: r.gvr, Namespace: r.namespace, Object: a, DryRun: o.DryRun, FieldManager: o.FieldManager, Subresource: sub}
	call := r.c.rpc.Update
	if sub == "status" {
		call = r.c.rpc.UpdateStatus
		req.Subresource = ""
	}
	var resp *resourcev1.UpdateResponse
	unknown := false
	err = r.c.retry(ctx, always, func(attempt int) (err error) {
		resp, err = call(ctx, req, waitForReady)
		if attempt > 0 && unknown && apierrors.IsConflict(apierrors.FromGRPC(err)) {
			if cur, gerr := r.Get(ctx, obj.GetMetadata().GetName()); gerr == nil && sameWrite(obj, cur, sub) {
				resp, err = &resourcev1.UpdateResponse{Object: mustPack(cur)}, nil
			}
		}
		unknown = unknown || unavailable(err)
		return err
	})
	if err != nil {
		return zero, err
	}
	return r.unpack(resp.GetObject())
}

// sameWrite reports whether stored holds what an update of sent wrote: the same status for a status
// update, otherwise the same object apart from the fields the server owns.
func sameWrite(sent, stored scheme.Object, sub string) bool {
	a, b := proto.Clone(sent).(scheme.Object), proto.Clone(stored).(scheme.Object)
	if sub == "status" {
		fd := a.ProtoReflect().Descriptor().Fields().ByName("status")
		return fd != nil && proto.Equal(a.ProtoReflect().Get(fd).Message().Interface(), b.ProtoReflect().Get(fd).Message().Interface())
	}
	for _, o := range []scheme.Object{a, b} {
		m := scheme.Meta(o)
		m.ResourceVersion, m.Generation, m.ManagedFields = "", 0, nil
		if fd := o.ProtoReflect().Descriptor().Fields().ByName("status"); fd != nil {
			o.ProtoReflect().Clear(fd)
		}
	}
	// The server fills in what the client left empty.
	bm, am := b.GetMetadata(), a.GetMetadata()
	am.Uid, am.CreationTimestamp, am.Namespace = bm.GetUid(), bm.GetCreationTimestamp(), bm.GetNamespace()
	return proto.Equal(a, b)
}

// Patch applies a patch to the named object (or its status) and returns the result.
func (r *Resource[T]) Patch(ctx context.Context, name string, pt PatchType, data []byte, opts ...PatchOptions) (T, error) {
	var zero T
	o := first(opts)
	retryable := func(err error) bool { return pt == MergePatch && unavailable(err) }
	var resp *resourcev1.PatchResponse
	err := r.c.retry(ctx, retryable, func(int) (err error) {
		resp, err = r.c.rpc.Patch(ctx, &resourcev1.PatchRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, PatchType: string(pt), Patch: data,
			Subresource: o.Subresource, DryRun: o.DryRun, FieldManager: o.FieldManager, Force: o.Force,
		}, waitForReady)
		return err
	})
	if err != nil {
		return zero, err
	}
	return r.unpack(resp.GetObject())
}

// Delete deletes the named object, or marks it for deletion when finalizers or a grace period
// hold it.
func (r *Resource[T]) Delete(ctx context.Context, name string, opts ...DeleteOptions) error {
	o := first(opts)
	req := &resourcev1.DeleteRequest{Resource: r.gvr, Namespace: r.namespace, Name: name, Options: &resourcev1.DeleteOptions{
		GracePeriodSeconds: o.GracePeriodSeconds,
		PropagationPolicy:  o.PropagationPolicy,
		DryRun:             o.DryRun,
	}}
	if o.PreconditionUID != "" || o.PreconditionResourceVersion != "" {
		req.Options.Preconditions = &resourcev1.Preconditions{}
		if o.PreconditionUID != "" {
			req.Options.Preconditions.Uid = &o.PreconditionUID
		}
		if o.PreconditionResourceVersion != "" {
			req.Options.Preconditions.ResourceVersion = &o.PreconditionResourceVersion
		}
	}
	unknown := false
	return r.c.retry(ctx, always, func(attempt int) error {
		_, err := r.c.rpc.Delete(ctx, req, waitForReady)
		if attempt > 0 && unknown && apierrors.IsNotFound(apierrors.FromGRPC(err)) {
			return nil
		}
		unknown = unknown || unavailable(err)
		return err
	})
}

// Bind assigns the named pod to node through the binding subresource. It fails with Conflict when
// the pod is already assigned.
func (r *Resource[T]) Bind(ctx context.Context, name, node string) error {
	a, err := scheme.Pack(&corev1.Binding{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: r.namespace},
		Target:   &corev1.ObjectReference{Kind: "Node", Name: node},
	})
	if err != nil {
		return err
	}
	unknown := false
	return r.c.retry(ctx, always, func(attempt int) error {
		_, err := r.c.rpc.Create(ctx, &resourcev1.CreateRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, Subresource: "binding", Object: a,
		}, waitForReady)
		if attempt > 0 && unknown && apierrors.IsConflict(apierrors.FromGRPC(err)) {
			// The earlier attempt may have bound it: it did if the pod is on node.
			if cur, gerr := r.Get(ctx, name); gerr == nil {
				if p, ok := any(cur).(*corev1.Pod); ok && p.GetSpec().GetNodeName() == node {
					return nil
				}
			}
		}
		unknown = unknown || unavailable(err)
		return err
	})
}
