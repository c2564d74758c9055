package alloc

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// DefaultRepairInterval is how often Repair runs, as Kubernetes' repair controllers do.
const DefaultRepairInterval = 3 * time.Minute

// leakRuns is how many runs in a row must find a value marked with no Service holding it before
// Repair frees it: a create between its allocation and its write looks the same for a moment.
const leakRuns = 3

// replaceAttempts bounds how often one run re-reads after another writer changed a bitmap.
const replaceAttempts = 5

// Problem is something Repair found wrong with a stored Service; it reports each as an Event.
type Problem struct {
	Service *corev1.Service
	// Reason is a Kubernetes event reason: ClusterIPAlreadyAllocated, ClusterIPOutOfRange,
	// PortAlreadyAllocated, PortOutOfRange.
	Reason  string
	Message string
}

// Repair rebuilds the bitmaps from the stored Services: a value a Service holds is marked (and
// one two Services hold is reported), a value marked for leakRuns runs in a row with no Service
// holding it is freed. It is what makes a crash between allocation and write, or between delete
// and release, harmless.
type Repair struct {
	Services *Services
	// Storage and Prefix are where the Services are read from (the services' key prefix).
	Storage *storage.Store
	Prefix  string
	// Report receives every problem found (nil: logged only).
	Report   func(ctx context.Context, p Problem)
	Interval time.Duration
	Clock    clock.Clock
	Logger   *zap.Logger

	// ipLeaks and portLeaks count, per offset, the runs in a row that found it leaked. Only the
	// goroutine running Repair touches them.
	ipLeaks, portLeaks map[int]int
}

// Run repairs every Interval until ctx ends; the apiserver calls RunOnce itself at start, before
// it serves. A failed run is logged and tried again at the next tick.
func (r *Repair) Run(ctx context.Context) error {
	return every(ctx, r.Clock, r.Interval, r.Logger, "repair service allocations", r.RunOnce)
}

// RunOnce repairs both bitmaps once.
func (r *Repair) RunOnce(ctx context.Context) error {
	if r.ipLeaks == nil {
		r.ipLeaks, r.portLeaks = map[int]int{}, map[int]int{}
	}
	s := r.Services
	err := r.repair(ctx, s.IPs, "IP", r.ipLeaks, func(svc *corev1.Service, mark func(int, string)) {
		if !wantsIP(svc.GetSpec()) || svc.GetSpec().GetClusterIp() == "" {
			return
		}
		c := svc.GetSpec().GetClusterIp()
		ip, err := netip.ParseAddr(c)
		off, ok := s.IPRange.Offset(ip)
		if err != nil || !ok {
			r.report(ctx, Problem{Service: svc, Reason: "ClusterIPOutOfRange",
				Message: fmt.Sprintf("Cluster IP [%s]: %s is not within the configured Service CIDR %s; please recreate service", s.IPRange.Family(), c, s.IPRange)})
			return
		}
		mark(off, "ClusterIPAlreadyAllocated")
	})
	if err != nil {
		return err
	}
	return r.repair(ctx, s.Ports, "port", r.portLeaks, func(svc *corev1.Service, mark func(int, string)) {
		seen := map[int]bool{}
		for _, np := range nodePortsOf(svc.GetSpec()) {
			off, ok := s.PortRange.Offset(np)
			if !ok {
				r.report(ctx, Problem{Service: svc, Reason: "PortOutOfRange",
					Message: fmt.Sprintf("Port %d is not within the port range %s; please recreate service", np, s.PortRange)})
				continue
			}
			if !seen[off] { // one Service may name a node port for two protocols
				seen[off] = true
				mark(off, "PortAlreadyAllocated")
			}
		}
	})
}

// repair rebuilds one bitmap: it reads the bitmap, then the Services (so every Service whose value
// the bitmap lacks was written after the read), marks what each holds through holds, keeps
// leaked values until they have been leaked for leakRuns runs, and writes the result guarded on
// the bitmap's revision. A bitmap changed meanwhile starts the run again.
func (r *Repair) repair(ctx context.Context, a *Allocator, what string, leaks map[int]int,
	holds func(*corev1.Service, func(off int, duplicate string))) error {
	for attempt := 1; ; attempt++ {
		snap, rev, err := a.Snapshot(ctx)
		if err != nil {
			return err
		}
		services, err := r.list(ctx)
		if err != nil {
			return err
		}
		next := NewBitmap(snap.Size())
		var problems []Problem
		for _, svc := range services {
			holds(svc, func(off int, duplicate string) {
				if !next.Set(off) {
					problems = append(problems, Problem{Service: svc, Reason: duplicate,
						Message: fmt.Sprintf("%s %s was assigned to multiple services; please recreate service", what, r.valueName(a, off))})
				}
			})
		}
		nextLeaks := map[int]int{}
		for _, off := range snap.Offsets() {
			if next.Has(off) {
				continue
			}
			if n := leaks[off] + 1; n < leakRuns {
				nextLeaks[off] = n
				next.Set(off)
			}
		}
		ok, err := a.Replace(ctx, next, rev)
		if err != nil {
			return err
		}
		if !ok {
			if attempt == replaceAttempts {
				return fmt.Errorf("repair %s: the bitmap kept changing", a.Key())
			}
			continue
		}
		for _, p := range problems {
			r.report(ctx, p)
		}
		for off := range leaks {
			if _, still := nextLeaks[off]; !still && !next.Has(off) {
				r.Logger.Info("freed leaked service "+what, zap.String(what, r.valueName(a, off)))
			}
			delete(leaks, off)
		}
		for off, n := range nextLeaks {
			leaks[off] = n
		}
		return nil
	}
}

// valueName formats offset off of a's range.
func (r *Repair) valueName(a *Allocator, off int) string {
	if a == r.Services.IPs {
		return r.Services.IPRange.Addr(off).String()
	}
	return fmt.Sprint(r.Services.PortRange.Base + off)
}

// list reads every stored Service from etcd.
func (r *Repair) list(ctx context.Context) ([]*corev1.Service, error) {
	page, err := r.Storage.List(ctx, r.Prefix, "", 0, 0)
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	out := make([]*corev1.Service, 0, len(page.Items))
	for _, kv := range page.Items {
		if svc, ok := kv.Object.(*corev1.Service); ok {
			out = append(out, svc)
		}
	}
	return out, nil
}

// report logs p and hands it to Report.
func (r *Repair) report(ctx context.Context, p Problem) {
	r.Logger.Warn("service allocation problem", zap.String("reason", p.Reason), zap.String("message", p.Message),
		zap.String("service", p.Service.GetMetadata().GetNamespace()+"/"+p.Service.GetMetadata().GetName()))
	if r.Report != nil {
		r.Report(ctx, p)
	}
}
