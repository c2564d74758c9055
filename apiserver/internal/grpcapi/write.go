package grpcapi

import (
	"context"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Create creates an object, binds a pod (subresource "binding"), evicts one ("eviction") or
// issues a service account token ("token").
func (s *Service) Create(ctx context.Context, req *resourcev1.CreateRequest) (*resourcev1.CreateResponse, error) {
	if k, ok := s.createOnlyKind(req.GetResource()); ok {
		return s.createOnly(ctx, k, req)
	}
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	var out scheme.Object
	switch req.GetSubresource() {
	case "":
		obj, err := s.decode(st, req.GetObject())
		if err != nil {
			return nil, err
		}
		out, err = st.Create(ctx, req.GetNamespace(), obj, registry.CreateOptions{
			DryRun: req.GetDryRun(), FieldManager: req.GetFieldManager(), UID: req.GetUid(),
		})
		if err != nil {
			return nil, err
		}
	case "binding":
		var b corev1.Binding
		if err := unpackInto(req.GetObject(), &b, "binding"); err != nil {
			return nil, err
		}
		if _, err := st.Bind(ctx, req.GetNamespace(), req.GetName(), &b, req.GetDryRun()); err != nil {
			return nil, err
		}
		// As in Kubernetes, a binding answers with what it accepted, not the whole pod: the
		// scheduler binds thousands a second and reads the pod from its informer anyway.
		out = &b
	case "eviction":
		var ev policyv1.Eviction
		if err := unpackInto(req.GetObject(), &ev, "eviction"); err != nil {
			return nil, err
		}
		if err := st.Evict(ctx, req.GetNamespace(), req.GetName(), &ev, req.GetDryRun()); err != nil {
			return nil, err
		}
		out = &ev
	case "token":
		var tr authenticationv1.TokenRequest
		if err := unpackInto(req.GetObject(), &tr, "token"); err != nil {
			return nil, err
		}
		if out, err = st.CreateToken(ctx, req.GetNamespace(), req.GetName(), &tr, req.GetDryRun()); err != nil {
			return nil, err
		}
	default:
		return nil, apierrors.NewMethodNotSupported(st.Kind().Group, st.Kind().Resource+"/"+req.GetSubresource(), "create")
	}
	a, err := pack(out)
	if err != nil {
		return nil, err
	}
	return &resourcev1.CreateResponse{Object: a}, nil
}

// Update replaces an object, or the subresource the request names.
func (s *Service) Update(ctx context.Context, req *resourcev1.UpdateRequest) (*resourcev1.UpdateResponse, error) {
	return s.update(ctx, req, req.GetSubresource())
}

// UpdateStatus replaces an object's status.
func (s *Service) UpdateStatus(ctx context.Context, req *resourcev1.UpdateRequest) (*resourcev1.UpdateResponse, error) {
	return s.update(ctx, req, "status")
}

func (s *Service) update(ctx context.Context, req *resourcev1.UpdateRequest, sub string) (*resourcev1.UpdateResponse, error) {
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	manager := req.GetFieldManager()
	var out scheme.Object
	if sub == "scale" {
		var sc autoscalingv1.Scale
		if err := unpackInto(req.GetObject(), &sc, "scale"); err != nil {
			return nil, err
		}
		out, err = st.UpdateScale(ctx, req.GetNamespace(), sc.GetMetadata().GetName(),
			registry.ScaleOptions{DryRun: req.GetDryRun(), FieldManager: manager},
			func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error) { return &sc, nil })
	} else {
		obj, derr := s.decode(st, req.GetObject())
		if derr != nil {
			return nil, derr
		}
		out, err = st.Update(ctx, req.GetNamespace(), obj, registry.UpdateOptions{
			DryRun: req.GetDryRun(), FieldManager: manager, Subresource: sub,
		})
	}
	if err != nil {
		return nil, err
	}
	a, err := pack(out)
	if err != nil {
		return nil, err
	}
	return &resourcev1.UpdateResponse{Object: a}, nil
}

// Delete deletes an object or marks it for deletion.
func (s *Service) Delete(ctx context.Context, req *resourcev1.DeleteRequest) (*resourcev1.DeleteResponse, error) {
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	o := req.GetOptions()
	if o == nil {
		// No options is a delete with the defaults, as an empty DeleteOptions body is in Kubernetes.
		o = &resourcev1.DeleteOptions{}
	}
	out, deleted, err := st.Delete(ctx, req.GetNamespace(), req.GetName(), registry.DeleteOptions{
		GracePeriodSeconds:          o.GracePeriodSeconds,
		PreconditionUID:             o.GetPreconditions().GetUid(),
		PreconditionResourceVersion: o.GetPreconditions().GetResourceVersion(),
		PropagationPolicy:           o.GetPropagationPolicy(),
		DryRun:                      o.GetDryRun(),
	})
	if err != nil {
		return nil, err
	}
	a, err := pack(out)
	if err != nil {
		return nil, err
	}
	return &resourcev1.DeleteResponse{Object: a, Deleted: deleted}, nil
}

// Patch patches an object or its status.
func (s *Service) Patch(ctx context.Context, req *resourcev1.PatchRequest) (*resourcev1.PatchResponse, error) {
	st, err := s.store(req.GetResource())
	if err != nil {
		return nil, err
	}
	out, err := st.Patch(ctx, req.GetNamespace(), req.GetName(), req.GetPatchType(), req.GetPatch(), registry.PatchOptions{
		Subresource: req.GetSubresource(), DryRun: req.GetDryRun(), FieldManager: req.GetFieldManager(), Force: req.GetForce(),
	})
	if err != nil {
		return nil, err
	}
	a, err := pack(out)
	if err != nil {
		return nil, err
	}
	return &resourcev1.PatchResponse{Object: a}, nil
}
