package server

import (
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// source is the proxier's view of the cluster: the shared informers' caches.
type source struct {
	services  *informer.Informer[*corev1.Service]
	endpoints *informer.Informer[*corev1.Endpoints]
}

// Services returns every cached Service.
func (s source) Services() []*corev1.Service { return s.services.Lister().List() }

// Endpoints returns the cached Endpoints namespace/name.
func (s source) Endpoints(namespace, name string) (*corev1.Endpoints, bool) {
	return s.endpoints.Lister().Get(namespace, name)
}

// notify calls changed with the namespace and name of every Service or Endpoints added, updated
// or deleted.
func (s source) notify(changed func(namespace, name string)) {
	s.services.AddHandler(informer.Handler[*corev1.Service]{
		OnAdd:    func(o *corev1.Service) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
		OnUpdate: func(_, o *corev1.Service) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
		OnDelete: func(o *corev1.Service) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
	})
	s.endpoints.AddHandler(informer.Handler[*corev1.Endpoints]{
		OnAdd:    func(o *corev1.Endpoints) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
		OnUpdate: func(_, o *corev1.Endpoints) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
		OnDelete: func(o *corev1.Endpoints) { changed(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName()) },
	})
}
