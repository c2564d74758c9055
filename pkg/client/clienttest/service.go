package clienttest

import (
	"context"
	"sort"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// service serves the resource service's RPCs from the Server's memory. Errors leave it as gRPC
// statuses carrying the apierrors reason, as the apiserver's do.
type service struct {
	resourcev1.UnimplementedResourceServiceServer
	s *Server
}

func gvrOf(r *resourcev1.GroupVersionResource) scheme.GroupVersionResource {
	return scheme.GroupVersionResource{Group: r.GetGroup(), Version: r.GetVersion(), Resource: r.GetResource()}
}

// begin counts c and runs the intercept hook; it returns the kind c names.
func (s *Server) begin(gvr scheme.GroupVersionResource, c Call) (*scheme.Kind, error) {
	s.mu.Lock()
	if s.calls[c.Verb] == nil {
		s.calls[c.Verb] = map[string]int{}
	}
	s.calls[c.Verb][c.Resource]++
	hook := s.intercept
	s.mu.Unlock()
	if hook != nil {
		if err := hook(c); err != nil {
			return nil, err
		}
	}
	return s.kind(gvr)
}

func pack(obj scheme.Object) (*anypb.Any, error) {
	a, err := scheme.Pack(obj)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return a, nil
}

// decode unpacks a request's object as kind k, in namespace for a namespaced kind.
func decode(k *scheme.Kind, a *anypb.Any, namespace string) (scheme.Object, error) {
	obj := k.New()
	if a == nil || a.MessageName() != obj.ProtoReflect().Descriptor().FullName() {
		return nil, apierrors.NewBadRequest("the request carries no %s", k.Kind)
	}
	if err := wire.Unmarshal(a.GetValue(), obj); err != nil {
		return nil, apierrors.NewBadRequest("decode %s: %v", k.Kind, err)
	}
	if k.Namespaced {
		scheme.Meta(obj).Namespace = namespace
	}
	return obj, nil
}

func (v *service) Get(_ context.Context, req *resourcev1.GetRequest) (*resourcev1.GetResponse, error) {
	gvr := gvrOf(req.GetResource())
	k, err := v.s.begin(gvr, Call{Verb: Get, Resource: gvr.Resource, Namespace: req.GetNamespace(), Name: req.GetName()})
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	v.s.mu.Lock()
	obj, ok := v.s.objects[gvr][objectKey(req.GetNamespace(), req.GetName())]
	v.s.mu.Unlock()
	if !ok {
		return nil, apierrors.ToGRPC(apierrors.NewNotFound(k.Group, k.Resource, req.GetName()))
	}
	a, err := pack(obj)
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	return &resourcev1.GetResponse{Object: a}, nil
}

func (v *service) List(_ context.Context, req *resourcev1.ListRequest) (*resourcev1.ListResponse, error) {
	gvr := gvrOf(req.GetResource())
	if _, err := v.s.begin(gvr, Call{Verb: List, Resource: gvr.Resource, Namespace: req.GetNamespace()}); err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	f, err := newFilter(gvr, req.GetNamespace(), req.GetLabelSelector(), req.GetFieldSelector())
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	v.s.mu.Lock()
	rv := strconv.FormatInt(v.s.rev, 10)
	var objs []scheme.Object
	for _, obj := range v.s.objects[gvr] {
		if f.matches(obj) {
			objs = append(objs, obj)
		}
	}
	v.s.mu.Unlock()
	sort.Slice(objs, func(i, j int) bool { return scheme.Key(objs[i]) < scheme.Key(objs[j]) })
	resp := &resourcev1.ListResponse{Metadata: &metav1.ListMeta{ResourceVersion: rv}, Items: make([]*anypb.Any, len(objs))}
	for i, obj := range objs {
		if resp.Items[i], err = pack(obj); err != nil {
			return nil, apierrors.ToGRPC(err)
		}
	}
	return resp, nil
}

func (v *service) Create(_ context.Context, req *resourcev1.CreateRequest) (*resourcev1.CreateResponse, error) {
	gvr := gvrOf(req.GetResource())
	c := Call{Verb: Create, Resource: gvr.Resource, Namespace: req.GetNamespace(), Name: req.GetName(), Subresource: req.GetSubresource()}
	k, err := v.s.begin(gvr, c)
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	if c.Subresource == "binding" && gvr.Resource == "pods" {
		return nil, apierrors.ToGRPC(v.s.bind(k, req))
	}
	if c.Subresource != "" {
		return nil, apierrors.ToGRPC(apierrors.NewMethodNotSupported(k.Group, k.Resource+"/"+c.Subresource, "create"))
	}
	obj, err := decode(k, req.GetObject(), req.GetNamespace())
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	if req.GetDryRun() {
		return nil, apierrors.ToGRPC(apierrors.NewBadRequest("clienttest does not serve dry runs"))
	}
	v.s.mu.Lock()
	stored, err := v.s.createLocked(k, obj, req.GetUid())
	var a *anypb.Any
	if err == nil {
		a, err = pack(stored)
	}
	v.s.mu.Unlock()
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	return &resourcev1.CreateResponse{Object: a}, nil
}

// bind sets a pending pod's spec.nodeName to the binding's target; Conflict if it has one.
func (s *Server) bind(k *scheme.Kind, req *resourcev1.CreateRequest) error {
	var b corev1.Binding
	if err := wire.Unmarshal(req.GetObject().GetValue(), &b); err != nil {
		return apierrors.NewBadRequest("decode binding: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.objects[k.GVR()][objectKey(req.GetNamespace(), req.GetName())]
	if !ok {
		return apierrors.NewNotFound(k.Group, k.Resource, req.GetName())
	}
	pod := proto.Clone(cur).(*corev1.Pod)
	if pod.GetSpec().GetNodeName() != "" {
		return apierrors.NewConflict(k.Group, k.Resource, req.GetName(), "pod is already assigned to node "+pod.GetSpec().GetNodeName())
	}
	if pod.Spec == nil {
		pod.Spec = &corev1.PodSpec{}
	}
	pod.Spec.NodeName = b.GetTarget().GetName()
	s.storeLocked(k, client.Modified, pod)
	return nil
}

func (v *service) Update(_ context.Context, req *resourcev1.UpdateRequest) (*resourcev1.UpdateResponse, error) {
	return v.update(req, Update)
}

func (v *service) UpdateStatus(_ context.Context, req *resourcev1.UpdateRequest) (*resourcev1.UpdateResponse, error) {
	return v.update(req, UpdateStatus)
}

func (v *service) update(req *resourcev1.UpdateRequest, verb Verb) (*resourcev1.UpdateResponse, error) {
	gvr := gvrOf(req.GetResource())
	k, err := v.s.kind(gvr)
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	obj, err := decode(k, req.GetObject(), req.GetNamespace())
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	c := Call{Verb: verb, Resource: gvr.Resource, Namespace: req.GetNamespace(), Name: obj.GetMetadata().GetName(), Subresource: req.GetSubresource()}
	if _, err := v.s.begin(gvr, c); err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	finalize := req.GetSubresource() == "finalize" && k.Kind == "Namespace"
	if (req.GetSubresource() != "" && !finalize) || req.GetDryRun() {
		return nil, apierrors.ToGRPC(apierrors.NewBadRequest("clienttest serves neither subresources other than status and finalize nor dry runs"))
	}
	v.s.mu.Lock()
	var stored scheme.Object
	if finalize {
		stored, err = v.s.finalizeLocked(k, obj.(*corev1.Namespace))
	} else {
		stored, err = v.s.updateLocked(k, obj, verb == UpdateStatus)
	}
	var a *anypb.Any
	if err == nil {
		a, err = pack(stored)
	}
	v.s.mu.Unlock()
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	return &resourcev1.UpdateResponse{Object: a}, nil
}

func (v *service) Delete(_ context.Context, req *resourcev1.DeleteRequest) (*resourcev1.DeleteResponse, error) {
	gvr := gvrOf(req.GetResource())
	k, err := v.s.begin(gvr, Call{Verb: Delete, Resource: gvr.Resource, Namespace: req.GetNamespace(), Name: req.GetName()})
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	if req.GetOptions().GetDryRun() {
		return nil, apierrors.ToGRPC(apierrors.NewBadRequest("clienttest does not serve dry runs"))
	}
	pre := req.GetOptions().GetPreconditions()
	v.s.mu.Lock()
	gone, err := v.s.deleteLocked(k, req.GetNamespace(), req.GetName(), pre.GetUid(), pre.GetResourceVersion())
	var a *anypb.Any
	if err == nil {
		a, err = pack(gone)
	}
	v.s.mu.Unlock()
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	return &resourcev1.DeleteResponse{Object: a, Deleted: gone.GetMetadata().GetDeletionTimestamp() == nil || !held(gone)}, nil
}

func (v *service) Patch(_ context.Context, req *resourcev1.PatchRequest) (*resourcev1.PatchResponse, error) {
	gvr := gvrOf(req.GetResource())
	k, err := v.s.begin(gvr, Call{Verb: Patch, Resource: gvr.Resource, Namespace: req.GetNamespace(), Name: req.GetName(), Subresource: req.GetSubresource()})
	if err != nil {
		return nil, apierrors.ToGRPC(err)
	}
	return nil, apierrors.ToGRPC(apierrors.NewMethodNotSupported(k.Group, k.Resource, "patch (clienttest serves no patches)"))
}

// Watch replays the current state (or the changes after the request's resourceVersion), then
// streams changes until the client goes away, the timeout passes or the server stops.
func (v *service) Watch(req *resourcev1.WatchRequest, stream grpc.ServerStreamingServer[resourcev1.WatchEvent]) error {
	gvr := gvrOf(req.GetResource())
	if _, err := v.s.begin(gvr, Call{Verb: Watch, Resource: gvr.Resource, Namespace: req.GetNamespace()}); err != nil {
		return apierrors.ToGRPC(err)
	}
	f, err := newFilter(gvr, req.GetNamespace(), req.GetLabelSelector(), req.GetFieldSelector())
	if err != nil {
		return apierrors.ToGRPC(err)
	}
	ctx := stream.Context()
	if t := req.GetTimeoutSeconds(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
		defer cancel()
	}
	w, err := v.s.addWatcher(f, req.GetResourceVersion())
	if err != nil {
		return apierrors.ToGRPC(err)
	}
	defer v.s.removeWatcher(w)
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		evs, ok := w.next(ctx)
		if !ok {
			return nil
		}
		for _, ev := range evs {
			a, err := pack(ev.obj)
			if err != nil {
				return apierrors.ToGRPC(err)
			}
			if err := stream.Send(&resourcev1.WatchEvent{Type: string(ev.typ), Object: a}); err != nil {
				return err
			}
		}
	}
}
