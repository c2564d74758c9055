package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/alloc"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Defaults of the service ranges, as in Kubernetes. Tests and `make run` use a loopback range.
const (
	DefaultServiceClusterIPRange = "10.96.0.0/12"
	DefaultServiceNodePortRange  = "30000-32767"
)

// allocation is the server's part in Services: the allocator hook, the repair loop and the
// kubernetes Service.
type allocation struct {
	services *alloc.Services
	repair   *alloc.Repair
	// kubernetes is built once the server listens, since it needs the port.
	kubernetes *alloc.Kubernetes
}

// newAllocation builds the allocators of the configured ranges on be's etcd.
func (s *Server) newAllocation(be *etcdBackend, store *storage.Store) (*allocation, error) {
	ipRange, err := alloc.ParseIPRange(s.cfg.ServiceClusterIPRange)
	if err != nil {
		return nil, fmt.Errorf("--service-cluster-ip-range: %w", err)
	}
	portRange, err := alloc.ParsePortRange(s.cfg.ServiceNodePortRange)
	if err != nil {
		return nil, fmt.Errorf("--service-node-port-range: %w", err)
	}
	prefix := s.cfg.EtcdPrefix
	svcs := &alloc.Services{
		IPs:       alloc.NewAllocator(be.client, prefix+"/ranges/serviceips", ipRange.String(), ipRange.Size()),
		IPRange:   ipRange,
		Ports:     alloc.NewAllocator(be.client, prefix+"/ranges/servicenodeports", portRange.String(), portRange.Size),
		PortRange: portRange,
		Logger:    s.lg.Named("alloc"),
	}
	return &allocation{
		services: svcs,
		repair: &alloc.Repair{
			Services: svcs,
			Storage:  store,
			Prefix:   prefix + "/services/",
			Interval: s.cfg.RepairInterval,
			Clock:    s.cfg.Clock,
			Logger:   s.lg.Named("repair"),
		},
	}, nil
}

// hooks returns the registry hooks of the allocation.
func (a *allocation) hooks() map[scheme.GroupVersionResource]registry.WriteHook {
	return map[scheme.GroupVersionResource]registry.WriteHook{
		{Version: "v1", Resource: "services"}: a.services,
	}
}

// start readies the allocation once the registry serves: the repair's events, a first repair and
// a first pass of the kubernetes Service, so a ready apiserver has both.
func (a *allocation) start(ctx context.Context, s *Server, reg *registry.Registry, addr net.Addr) error {
	a.repair.Report = func(ctx context.Context, p alloc.Problem) { reportProblem(ctx, reg, p, s.cfg.Clock, s.lg) }
	if err := a.repair.RunOnce(ctx); err != nil {
		return fmt.Errorf("repair service allocations: %w", err)
	}
	port := 0
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = ta.Port
	}
	a.kubernetes = &alloc.Kubernetes{
		Registry:      reg,
		ClusterIP:     a.services.IPRange.Addr(0).String(),
		Address:       s.cfg.advertiseAddress(),
		Port:          int32(port),
		Interval:      s.cfg.IdentityLeaseRenewInterval,
		LeaseDuration: s.cfg.IdentityLeaseDuration,
		Clock:         s.cfg.Clock,
		Logger:        s.lg.Named("kubernetes-service"),
	}
	return a.kubernetes.Reconcile(ctx)
}

// advertiseAddress is the address this apiserver lists in the kubernetes Endpoints: the
// configured one, else the bind address, else 127.0.0.1 when bound to every address.
func (c Config) advertiseAddress() string {
	if c.AdvertiseAddress != "" {
		return c.AdvertiseAddress
	}
	if ip, err := netip.ParseAddr(c.BindAddress); err == nil && !ip.IsUnspecified() {
		return ip.String()
	}
	return "127.0.0.1"
}

// reportProblem records a repair problem as a Warning event on its Service.
func reportProblem(ctx context.Context, reg *registry.Registry, p alloc.Problem, clk clock.Clock, lg *zap.Logger) {
	st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "events"})
	if err != nil {
		return
	}
	m := p.Service.GetMetadata()
	now := timestamppb.New(clk.Now())
	ev := &corev1.Event{
		Metadata: &metav1.ObjectMeta{GenerateName: m.GetName() + ".", Namespace: m.GetNamespace()},
		InvolvedObject: &corev1.ObjectReference{Kind: "Service", ApiVersion: "v1", Namespace: m.GetNamespace(),
			Name: m.GetName(), Uid: m.GetUid(), ResourceVersion: m.GetResourceVersion()},
		Reason: p.Reason, Message: p.Message, Type: "Warning", Count: 1,
		FirstTimestamp: now, LastTimestamp: now,
		Source: &corev1.EventSource{Component: "ipallocator-repair-controller"},
	}
	if _, err := st.Create(ctx, m.GetNamespace(), ev, registry.CreateOptions{}); err != nil {
		lg.Warn("record a repair event", zap.Error(err))
	}
}

// validateServices checks the service ranges, the advertise address and the repair interval.
func (c Config) validateServices() error {
	var errs []error
	if _, err := alloc.ParseIPRange(c.ServiceClusterIPRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-cluster-ip-range: %w", err))
	}
	if _, err := alloc.ParsePortRange(c.ServiceNodePortRange); err != nil {
		errs = append(errs, fmt.Errorf("--service-node-port-range: %w", err))
	}
	if c.AdvertiseAddress != "" {
		if _, err := netip.ParseAddr(c.AdvertiseAddress); err != nil {
			errs = append(errs, fmt.Errorf("--advertise-address: %w", err))
		}
	}
	if c.RepairInterval <= 0 {
		errs = append(errs, fmt.Errorf("--repair-interval: %s is not positive", c.RepairInterval))
	}
	errs = append(errs, c.validateIdentityLease())
	return errors.Join(errs...)
}

// validateIdentityLease checks the identity lease's timing: a duration of whole seconds (a Lease
// counts seconds) longer than the renew interval.
func (c Config) validateIdentityLease() error {
	var errs []error
	if c.IdentityLeaseRenewInterval <= 0 {
		errs = append(errs, fmt.Errorf("--identity-lease-renew-interval: %s is not positive", c.IdentityLeaseRenewInterval))
	}
	switch d := c.IdentityLeaseDuration; {
	case d < time.Second || d%time.Second != 0 || d > math.MaxInt32*time.Second:
		errs = append(errs, fmt.Errorf("--identity-lease-duration: %s is not a whole number of seconds from 1s", d))
	case d <= c.IdentityLeaseRenewInterval:
		errs = append(errs, fmt.Errorf("--identity-lease-duration: %s is not longer than --identity-lease-renew-interval %s", d, c.IdentityLeaseRenewInterval))
	}
	return errors.Join(errs...)
}

// runAllocation runs the repair loop and the kubernetes Service's reconciler once the server is
// ready, until ctx ends. The reconciler stops (and takes this replica out of the Endpoints) as
// soon as shutdown ends, the server's run context, so that clients stop being sent here while
// requests drain.
func (p *parts) runAllocation(ctx, shutdown context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-shutdown.Done():
		return nil
	case <-p.srv.ready:
	}
	kctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(shutdown, stop)()
	return run.Group(ctx, p.alloc.repair.Run, func(context.Context) error { return p.alloc.kubernetes.Run(kctx) })
}
