package kubejson

import (
	"encoding/json"
	"fmt"

	k8sappsv1 "k8s.io/api/apps/v1"
	k8sauthenticationv1 "k8s.io/api/authentication/v1"
	k8sauthorizationv1 "k8s.io/api/authorization/v1"
	k8sautoscalingv1 "k8s.io/api/autoscaling/v1"
	k8sbatchv1 "k8s.io/api/batch/v1"
	k8scertificatesv1 "k8s.io/api/certificates/v1"
	k8scoordinationv1 "k8s.io/api/coordination/v1"
	k8scorev1 "k8s.io/api/core/v1"
	k8spolicyv1 "k8s.io/api/policy/v1"
	k8srbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// k8sScheme holds Kubernetes' own Go types for the kinds Keelson serves and the payloads of its
// subresources. It is built once and never
// changed, so it is safe to share.
var k8sScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		k8scorev1.AddToScheme, k8sappsv1.AddToScheme, k8sbatchv1.AddToScheme, k8scoordinationv1.AddToScheme,
		k8srbacv1.AddToScheme, k8sauthorizationv1.AddToScheme, k8sauthenticationv1.AddToScheme,
		k8scertificatesv1.AddToScheme,
		// The payloads of subresources: Eviction, Scale.
		k8spolicyv1.AddToScheme, k8sautoscalingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // static registration of Kubernetes' own types cannot fail
		}
	}
	return s
}()

// Scheme returns the scheme of Kubernetes' Go types for Keelson's kinds. Callers must not change it.
func Scheme() *runtime.Scheme { return k8sScheme }

// NewTyped returns a new Kubernetes Go object of kind k, or false when Kubernetes has no such type.
func NewTyped(k *scheme.Kind) (runtime.Object, bool) {
	o, err := k8sScheme.New(schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind})
	return o, err == nil
}

// ToTyped returns obj (nil: an empty object of kind k) as Kubernetes' Go type for k, with its
// apiVersion and kind set. It fails with an Internal error when Kubernetes has no type for k.
func ToTyped(k *scheme.Kind, obj scheme.Object) (runtime.Object, error) {
	t, ok := NewTyped(k)
	if !ok {
		return nil, apierrors.NewInternal(fmt.Errorf("no Kubernetes type for %s", k.Kind))
	}
	t.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind})
	if obj == nil {
		return t, nil
	}
	b, err := ToJSON(k, obj, true)
	if err == nil {
		err = json.Unmarshal(b, t)
	}
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return t, nil
}
