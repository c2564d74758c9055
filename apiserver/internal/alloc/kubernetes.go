package alloc

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var (
	servicesGVR  = scheme.GroupVersionResource{Version: "v1", Resource: "services"}
	endpointsGVR = scheme.GroupVersionResource{Version: "v1", Resource: "endpoints"}
)

// minWait is the shortest pause between two passes, so that a lease that will not go away (its
// delete keeps failing) does not make the loop spin.
const minWait = 100 * time.Millisecond

// Kubernetes keeps the kubernetes Service in default, with the first address of the service range
// and port 443 (https) to the apiserver's port, and its Endpoints listing exactly the live
// apiservers, as Kubernetes' lease endpoint reconciler does.
//
// Each replica holds an identity lease (see LeaseName) that it renews every Interval; every
// replica reconciles the Endpoints to the advertise endpoints of the leases that have not run out,
// and deletes those that have. A replica that stops cleanly deletes its lease and takes itself out
// at once; one that dies stays listed until its lease runs out: the other replicas wake when the
// first lease they saw is due, so it drops out at most LeaseDuration after its last renewal.
// Expiry compares the holder's renew time with the reader's clock, so the replicas' clocks must
// agree to well within LeaseDuration (NTP), as for Kubernetes' leader election.
type Kubernetes struct {
	Registry *registry.Registry
	// ClusterIP is the Service's address: the range's first.
	ClusterIP string
	// Address and Port are where this apiserver is reached (its advertise endpoint).
	Address string
	Port    int32
	// Hostname labels the lease ("": the machine's host name).
	Hostname string
	// Interval is how often the lease is renewed and the Endpoints reconciled.
	Interval time.Duration
	// LeaseDuration is how long the lease lasts without a renewal, in whole seconds; longer than
	// Interval.
	LeaseDuration time.Duration
	Clock         clock.Clock
	Logger        *zap.Logger
}

// Run reconciles every Interval, and when another replica's lease is due, until ctx ends; the
// apiserver calls Reconcile itself at start. A failed pass is logged and tried again at the next
// wake-up. Once ctx ends, Run releases this replica's lease and takes it out of the Endpoints,
// within leaveTimeout, and returns nil.
func (k *Kubernetes) Run(ctx context.Context) error {
	t := k.Clock.NewTimer(k.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			k.leave(ctx)
			return nil
		case <-t.C():
		}
		wait, err := k.reconcile(ctx)
		if err != nil && ctx.Err() == nil {
			k.Logger.Warn("reconcile the kubernetes service", zap.Error(err))
		}
		t.Reset(wait)
	}
}

// leaveTimeout bounds the writes of a replica that shuts down: past it, the lease runs out by
// itself.
const leaveTimeout = 5 * time.Second

// leave releases the lease and reconciles the Endpoints without this replica, on a context that
// outlives ctx by leaveTimeout.
func (k *Kubernetes) leave(ctx context.Context) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaveTimeout)
	defer cancel()
	err := k.release(lctx)
	if err == nil {
		_, err = k.endpoints(lctx)
	}
	if err != nil {
		k.Logger.Warn("leave the kubernetes endpoints; the lease runs out by itself", zap.Error(err))
	}
}

// Reconcile creates the kubernetes Service, or puts its port back when it differs, renews this
// apiserver's lease and sets the Endpoints to the live replicas.
func (k *Kubernetes) Reconcile(ctx context.Context) error {
	_, err := k.reconcile(ctx)
	return err
}

// reconcile is a pass of Reconcile; it returns how long to wait for the next: Interval, or less
// when another replica's lease runs out sooner.
func (k *Kubernetes) reconcile(ctx context.Context) (time.Duration, error) {
	if err := k.service(ctx); err != nil {
		return k.Interval, fmt.Errorf("kubernetes service: %w", err)
	}
	if err := k.renew(ctx); err != nil {
		return k.Interval, err
	}
	live, err := k.endpoints(ctx)
	if err != nil {
		return k.Interval, fmt.Errorf("kubernetes endpoints: %w", err)
	}
	wait := k.Interval
	for _, m := range live {
		if d := k.Clock.Until(m.expires); d < wait {
			wait = d
		}
	}
	return max(wait, minWait), nil
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
	// Replicas that start together race to create the Service: the loser's create fails, on the
	// cluster IP the winner allocated or on the name, and its next pass finds the Service there.
	for attempt := 1; ; attempt++ {
		err = k.modifyService(ctx, st)
		lostRace := apierrors.IsInvalid(err) || apierrors.IsAlreadyExists(err)
		if !lostRace || attempt == 3 || ctx.Err() != nil {
			return err
		}
	}
}

// modifyService makes one attempt at creating the kubernetes Service or putting its port back.
func (k *Kubernetes) modifyService(ctx context.Context, st *registry.Store) error {
	_, _, err := st.Modify(ctx, "default", "kubernetes", registry.ModifyOptions{Create: true, FieldManager: "kube-apiserver"},
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

// endpoints sets the kubernetes Endpoints to the live replicas' endpoints, one subset per port,
// sorted, and returns the live replicas.
func (k *Kubernetes) endpoints(ctx context.Context) ([]member, error) {
	live, err := k.members(ctx)
	if err != nil {
		return nil, err
	}
	st, err := k.Registry.Store(endpointsGVR)
	if err != nil {
		return nil, err
	}
	subsets := endpointSubsets(live)
	_, _, err = st.Modify(ctx, "default", "kubernetes", registry.ModifyOptions{Create: true, FieldManager: "kube-apiserver"},
		func(cur scheme.Object) (scheme.Object, error) {
			ep, _ := cur.(*corev1.Endpoints)
			if ep == nil {
				ep = &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: "kubernetes", Namespace: "default",
					Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}}}
			}
			// An unchanged Endpoints is not written again.
			ep.Subsets = subsets
			return ep, nil
		})
	return live, err
}

// endpointSubsets groups the members by port, one subset per port in ascending order, each
// listing its addresses sorted and once.
func endpointSubsets(live []member) []*corev1.EndpointSubset {
	byPort := map[int32][]string{}
	for _, m := range live {
		if !slices.Contains(byPort[m.port], m.ip) {
			byPort[m.port] = append(byPort[m.port], m.ip)
		}
	}
	var subsets []*corev1.EndpointSubset
	for _, port := range slices.Sorted(maps.Keys(byPort)) {
		ips := byPort[port]
		slices.Sort(ips)
		sub := &corev1.EndpointSubset{Ports: []*corev1.EndpointPort{{Name: "https", Port: port, Protocol: "TCP"}}}
		for _, ip := range ips {
			sub.Addresses = append(sub.Addresses, &corev1.EndpointAddress{Ip: ip})
		}
		subsets = append(subsets, sub)
	}
	return subsets
}
