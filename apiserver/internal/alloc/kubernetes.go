package alloc

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// DefaultEndpointInterval is how often the apiserver checks the kubernetes Service and its
// Endpoints, as Kubernetes' --endpoint-reconciler-interval.
const DefaultEndpointInterval = 10 * time.Second

var (
	servicesGVR  = scheme.GroupVersionResource{Version: "v1", Resource: "services"}
	endpointsGVR = scheme.GroupVersionResource{Version: "v1", Resource: "endpoints"}
)

// Kubernetes keeps the kubernetes Service in default, with the first address of the service range
// and port 443 (https) to the apiserver's port, and lists this apiserver's address in its
// Endpoints. Each apiserver adds its own address and never removes another's: an apiserver that
// goes away stays listed until it is removed by hand (leases that expire dead apiservers come
// later).
type Kubernetes struct {
	Registry *registry.Registry
	// ClusterIP is the Service's address: the range's first.
	ClusterIP string
	// Address and Port are where this apiserver is reached.
	Address  string
	Port     int32
	Interval time.Duration
	Clock    clock.Clock
	Logger   *zap.Logger
}

// Run reconciles every Interval until ctx ends; the apiserver calls Reconcile itself at start.
// A failed pass is logged and tried again at the next tick.
func (k *Kubernetes) Run(ctx context.Context) error {
	return every(ctx, k.Clock, k.Interval, k.Logger, "reconcile the kubernetes service", k.Reconcile)
}

// Reconcile creates the kubernetes Service, or puts its port back when it differs, and adds this
// apiserver to its Endpoints.
func (k *Kubernetes) Reconcile(ctx context.Context) error {
	if err := k.service(ctx); err != nil {
		return fmt.Errorf("kubernetes service: %w", err)
	}
	if err := k.endpoints(ctx); err != nil {
		return fmt.Errorf("kubernetes endpoints: %w", err)
	}
	return nil
}

func (k *Kubernetes) ports() []*corev1.ServicePort {
	return []*corev1.ServicePort{{Name: "https", Protocol: "TCP", Port: 443,
		TargetPort: &metav1.IntOrString{Type: 0, IntVal: k.Port}}}
}

func (k *Kubernetes) service(ctx context.Context) error {
	st, err := k.Registry.Store(servicesGVR)
	if err != nil {
		return err
	}
	_, _, err = st.Modify(ctx, "default", "kubernetes", registry.ModifyOptions{Create: true, FieldManager: "kube-apiserver"},
		func(cur scheme.Object) (scheme.Object, error) {
			if cur == nil {
				return &corev1.Service{
					Metadata: &metav1.ObjectMeta{Name: "kubernetes", Namespace: "default",
						Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
					Spec: &corev1.ServiceSpec{Type: "ClusterIP", ClusterIp: k.ClusterIP, Ports: k.ports(),
						SessionAffinity: "None"},
				}, nil
			}
			svc := cur.(*corev1.Service)
			// Only the port is put back; like Kubernetes, a changed Service keeps the rest.
			if len(svc.GetSpec().GetPorts()) != 1 || svc.Spec.Ports[0].GetPort() != 443 || svc.Spec.Ports[0].GetName() != "https" {
				svc.Spec.Ports = k.ports()
			}
			return svc, nil
		})
	// Apiservers on different ports keep the targetPort of the first: the Endpoints carry each
	// one's port.
	return err
}

func (k *Kubernetes) endpoints(ctx context.Context) error {
	st, err := k.Registry.Store(endpointsGVR)
	if err != nil {
		return err
	}
	port := &corev1.EndpointPort{Name: "https", Port: k.Port, Protocol: "TCP"}
	_, _, err = st.Modify(ctx, "default", "kubernetes", registry.ModifyOptions{Create: true, FieldManager: "kube-apiserver"},
		func(cur scheme.Object) (scheme.Object, error) {
			ep, _ := cur.(*corev1.Endpoints)
			if ep == nil {
				ep = &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: "kubernetes", Namespace: "default",
					Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}}}
			}
			for _, sub := range ep.Subsets {
				if len(sub.Ports) != 1 || !proto.Equal(sub.Ports[0], port) {
					continue
				}
				for _, a := range sub.Addresses {
					if a.GetIp() == k.Address {
						return ep, nil
					}
				}
				sub.Addresses = append(sub.Addresses, &corev1.EndpointAddress{Ip: k.Address})
				return ep, nil
			}
			ep.Subsets = append(ep.Subsets, &corev1.EndpointSubset{
				Addresses: []*corev1.EndpointAddress{{Ip: k.Address}},
				Ports:     []*corev1.EndpointPort{port},
			})
			return ep, nil
		})
	return err
}
