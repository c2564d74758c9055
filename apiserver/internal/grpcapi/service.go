package grpcapi

import (
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Service implements resourcev1.ResourceServiceServer on a registry.
type Service struct {
	resourcev1.UnimplementedResourceServiceServer
	registry *registry.Registry
	lg       *zap.Logger
}

// New returns the service.
func New(r *registry.Registry, lg *zap.Logger) *Service {
	return &Service{registry: r, lg: lg}
}

// store returns the registry store a request names.
func (s *Service) store(gvr *resourcev1.GroupVersionResource) (*registry.Store, error) {
	if gvr.GetVersion() == "" || gvr.GetResource() == "" {
		return nil, apierrors.NewBadRequest("the request must name a resource: version and resource are required (got %q)", gvr.String())
	}
	return s.registry.Store(scheme.GroupVersionResource{Group: gvr.GetGroup(), Version: gvr.GetVersion(), Resource: gvr.GetResource()})
}

// decode unpacks a request's object, which must be of the store's kind.
func (s *Service) decode(st *registry.Store, a *anypb.Any) (scheme.Object, error) {
	if a == nil {
		return nil, apierrors.NewBadRequest("the request carries no object")
	}
	k := st.Kind()
	if want := k.MessageName(); a.MessageName() != want {
		return nil, apierrors.NewBadRequest("the object is a %q, but %s holds %s", a.MessageName(), k.GVR(), want)
	}
	obj := k.New()
	if err := strictUnmarshal(a.GetValue(), obj); err != nil {
		return nil, apierrors.NewBadRequest("the %s in the request cannot be decoded: %v", k.Kind, err)
	}
	return obj, nil
}

// strictUnmarshal decodes a client's object with the protobuf runtime, which, unlike the generated
// fast path, refuses strings that are not UTF-8. Everything the apiserver stores comes through
// here, so what it later decodes on the fast path, and serves, is valid for every protobuf decoder.
// Fields the schema does not know are dropped, at every depth, as the JSON decoder drops them: the
// protobuf runtime would keep their bytes in the message, and storage would keep what no reader
// ever shows.
func strictUnmarshal(b []byte, m proto.Message) error {
	return proto.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, m)
}

// pack wraps a registry result for the response.
func pack(obj scheme.Object) (*anypb.Any, error) {
	a, err := scheme.Pack(obj)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return a, nil
}

// unpackInto decodes a request's payload of a subresource, which must be a message like into.
func unpackInto(a *anypb.Any, into proto.Message, subresource string) error {
	want := into.ProtoReflect().Descriptor().FullName()
	if a == nil || a.MessageName() != want || strictUnmarshal(a.GetValue(), into) != nil {
		return apierrors.NewBadRequest("the %s subresource takes a %s", subresource, want)
	}
	return nil
}
