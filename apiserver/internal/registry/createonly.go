package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Creator answers a create of a create-only kind (an access review): it computes the answer from
// obj, which the edge decoded, and stores nothing.
type Creator interface {
	Create(ctx context.Context, namespace string, obj scheme.Object) (scheme.Object, error)
}

// SetCreator makes c answer the creates of the create-only kind serving gvr. Call it before the
// registry serves requests; it is not safe for concurrent use with requests.
func (r *Registry) SetCreator(gvr scheme.GroupVersionResource, c Creator) error {
	k, ok := r.cfg.Scheme.ByResource(gvr)
	if !ok || !k.CreateOnly {
		return fmt.Errorf("registry: %s is not a create-only kind", gvr)
	}
	if r.creators == nil {
		r.creators = map[scheme.GroupVersionResource]Creator{}
	}
	r.creators[gvr] = c
	return nil
}

// CreateOnly answers a create of the create-only kind k in namespace. Without a Creator for k it
// fails with NotFound, as for a resource the server does not serve.
func (r *Registry) CreateOnly(ctx context.Context, k *scheme.Kind, namespace string, obj scheme.Object) (scheme.Object, error) {
	c, ok := r.creators[k.GVR()]
	if !ok {
		return nil, &apierrors.StatusError{Reason: apierrors.ReasonNotFound, Code: http.StatusNotFound,
			Message: fmt.Sprintf("the server could not find the requested resource (%s)", k.GVR())}
	}
	if k.Namespaced && namespace == "" {
		return nil, apierrors.NewBadRequest("%s is namespaced: a namespace is required", k.GVR())
	}
	if !k.Namespaced && namespace != "" {
		return nil, apierrors.NewBadRequest("%s is cluster-scoped: no namespace may be given (got %q)", k.GVR(), namespace)
	}
	return c.Create(ctx, namespace, obj)
}

// Serves reports whether the registry answers the create-only kind k.
func (r *Registry) Serves(k *scheme.Kind) bool {
	_, ok := r.creators[k.GVR()]
	return ok
}
