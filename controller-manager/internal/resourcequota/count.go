package resourcequota

import (
	"context"
	"fmt"
	"strings"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/quota"
	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// count returns the usage of namespace under every name hard limits: a name nothing counts
// towards is there with zero.
func (c *Controller) count(ctx context.Context, namespace string, hard resource.List) (resource.List, error) {
	used := resource.List{}
	for name := range hard {
		used[name] = resource.NewQuantity(0, resource.DecimalSI)
	}
	for _, k := range c.kindsFor(hard) {
		objs, err := c.objects(ctx, k, namespace)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			u, err := quota.Usage(k, obj)
			if err != nil {
				return nil, err
			}
			used = used.Add(quota.Mask(u, hard.Names()))
		}
	}
	return used, nil
}

// objects returns the objects of kind k in namespace: from the informer's cache for a watched
// kind, otherwise from the API.
func (c *Controller) objects(ctx context.Context, k *scheme.Kind, namespace string) ([]scheme.Object, error) {
	if l, ok := c.listers[k.GVR()]; ok {
		return l(namespace), nil
	}
	list, err := client.ForKind(c.client, k, namespace).List(ctx, client.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", k.Resource, namespace, err)
	}
	return list.Items, nil
}

// kindsFor returns the kinds whose objects count towards the names hard limits, each once.
func (c *Controller) kindsFor(hard resource.List) []*scheme.Kind {
	var out []*scheme.Kind
	for _, k := range c.client.Scheme().Kinds() {
		if !k.Namespaced {
			continue
		}
		for name := range hard {
			if counts(k, name) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// counts reports whether objects of kind k count towards the quota resource name.
func counts(k *scheme.Kind, name string) bool {
	if name == quota.CountName(k) {
		return true
	}
	if k.Group != "" {
		return false
	}
	switch k.Resource {
	case "pods":
		return name == quota.Pods || name == resource.CPU || name == resource.Memory ||
			strings.HasPrefix(name, "requests.") || strings.HasPrefix(name, "limits.")
	case "services":
		return name == quota.Services || strings.HasPrefix(name, quota.Services+".")
	}
	return name == k.Resource
}
