package pods

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Objects serves the API objects a container's environment is built from. A missing ConfigMap or
// Secret is reported with an error apierrors.IsNotFound recognises.
type Objects interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// Services lists the services of a namespace.
	Services(ctx context.Context, namespace string) ([]*corev1.Service, error)
}

// ClientObjects reads Objects straight from the API server.
type ClientObjects struct{ Client *client.Client }

// ConfigMap gets a ConfigMap.
func (o ClientObjects) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return o.Client.ConfigMaps(namespace).Get(ctx, name)
}

// Secret gets a Secret.
func (o ClientObjects) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return o.Client.Secrets(namespace).Get(ctx, name)
}

// Services lists a namespace's services.
func (o ClientObjects) Services(ctx context.Context, namespace string) ([]*corev1.Service, error) {
	list, err := o.Client.Services(namespace).List(ctx, client.ListOptions{})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// CachedObjects serves Services from a shared informer's cache, so that starting a container costs
// the API server nothing for its service variables, and ConfigMaps and Secrets straight from the
// API server. Before the informer has synced, Services reads an empty list.
type CachedObjects struct {
	Client   *client.Client
	services informer.Lister[*corev1.Service]
}

// NewCachedObjects asks factory for the Service informer (all namespaces); the factory's owner
// starts it.
func NewCachedObjects(c *client.Client, factory *informer.Factory) CachedObjects {
	return CachedObjects{Client: c, services: informer.For[*corev1.Service](factory).Lister()}
}

// ConfigMap gets a ConfigMap.
func (o CachedObjects) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return ClientObjects{Client: o.Client}.ConfigMap(ctx, namespace, name)
}

// Secret gets a Secret.
func (o CachedObjects) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return ClientObjects{Client: o.Client}.Secret(ctx, namespace, name)
}

// Services lists a namespace's services from the cache.
func (o CachedObjects) Services(_ context.Context, namespace string) ([]*corev1.Service, error) {
	return o.services.ListNamespace(namespace), nil
}
