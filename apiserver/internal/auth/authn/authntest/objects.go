// Package authntest holds a hand-written in-memory authn.Getter for authenticator tests.
package authntest

import (
	"context"
	"sync"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Objects is an in-memory authn.Getter. It is safe for concurrent use.
type Objects struct {
	mu   sync.Mutex
	objs map[objectKey]scheme.Object
}

var _ authn.Getter = (*Objects)(nil)

type objectKey struct {
	gvr             scheme.GroupVersionResource
	namespace, name string
}

// Put stores obj under its metadata's namespace and name, replacing what was there.
func (o *Objects) Put(gvr scheme.GroupVersionResource, obj scheme.Object) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.objs == nil {
		o.objs = map[objectKey]scheme.Object{}
	}
	m := obj.GetMetadata()
	o.objs[objectKey{gvr, m.GetNamespace(), m.GetName()}] = obj
}

// Delete removes the named object.
func (o *Objects) Delete(gvr scheme.GroupVersionResource, namespace, name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.objs, objectKey{gvr, namespace, name})
}

// Get returns the named object, or NotFound.
func (o *Objects) Get(_ context.Context, gvr scheme.GroupVersionResource, namespace, name string) (scheme.Object, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.objs[objectKey{gvr, namespace, name}]
	if !ok {
		return nil, apierrors.NewNotFound(gvr.Group, gvr.Resource, name)
	}
	return obj, nil
}
