package authn

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Getter reads the objects authenticators check credentials against (bootstrap token Secrets,
// service accounts, the pods and secrets a token is bound to). The apiserver backs it with its
// watch caches, never etcd directly. A missing object fails with an error apierrors.IsNotFound
// recognises.
type Getter interface {
	Get(ctx context.Context, gvr scheme.GroupVersionResource, namespace, name string) (scheme.Object, error)
}

// GetterFunc adapts a function to Getter.
type GetterFunc func(ctx context.Context, gvr scheme.GroupVersionResource, namespace, name string) (scheme.Object, error)

// Get calls f.
func (f GetterFunc) Get(ctx context.Context, gvr scheme.GroupVersionResource, namespace, name string) (scheme.Object, error) {
	return f(ctx, gvr, namespace, name)
}
