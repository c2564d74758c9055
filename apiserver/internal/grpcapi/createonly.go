package grpcapi

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// createOnlyKind returns the create-only kind gvr names, if it names one.
func (s *Service) createOnlyKind(gvr *resourcev1.GroupVersionResource) (*scheme.Kind, bool) {
	k, ok := s.registry.Scheme().ByResource(scheme.GroupVersionResource{Group: gvr.GetGroup(), Version: gvr.GetVersion(), Resource: gvr.GetResource()})
	return k, ok && k.CreateOnly
}

// createOnly answers a create of a create-only kind (an access review) with the computed object.
func (s *Service) createOnly(ctx context.Context, k *scheme.Kind, req *resourcev1.CreateRequest) (*resourcev1.CreateResponse, error) {
	if req.GetSubresource() != "" {
		return nil, apierrors.NewMethodNotSupported(k.Group, k.Resource+"/"+req.GetSubresource(), "create")
	}
	a := req.GetObject()
	if a == nil || a.MessageName() != k.MessageName() {
		return nil, apierrors.NewBadRequest("%s takes a %s", k.GVR(), k.MessageName())
	}
	obj := k.New()
	if err := strictUnmarshal(a.GetValue(), obj); err != nil {
		return nil, apierrors.NewBadRequest("the %s in the request cannot be decoded: %v", k.Kind, err)
	}
	out, err := s.registry.CreateOnly(ctx, k, req.GetNamespace(), obj)
	if err != nil {
		return nil, err
	}
	packed, err := pack(out)
	if err != nil {
		return nil, err
	}
	return &resourcev1.CreateResponse{Object: packed}, nil
}
