package userspace

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/forwarder"
	"github.com/keelson-dev/keelson/proxy/internal/metrics"
)

// retryPeriod is how soon a sync that failed (a port that could not be opened, an address that
// could not be added) is tried again.
const retryPeriod = time.Second

// Source is the current state the proxier forwards for, read from informer caches.
type Source interface {
	// Services returns every Service.
	Services() []*corev1.Service
	// Endpoints returns the Endpoints of the service namespace/name.
	Endpoints(namespace, name string) (*corev1.Endpoints, bool)
}

// Addresses puts cluster IPs on this machine so the proxy can listen on them. Implementations
// decide which addresses need no change (loopback ones, for instance).
type Addresses interface {
	Add(ctx context.Context, ip netip.Addr) error
	Remove(ctx context.Context, ip netip.Addr) error
}

// Options configure a Proxier.
type Options struct {
	// NodeIP is the address node ports listen on; the unspecified address listens on all.
	NodeIP netip.Addr
	// UDPIdleTimeout ends UDP flows idle for that long (default forwarder.DefaultUDPIdleTimeout).
	UDPIdleTimeout time.Duration
	// Clock times affinity sessions, UDP flows and sync latency (default the real clock).
	Clock clock.Clock
	// Metrics, when set, records forwarding and sync metrics.
	Metrics *metrics.Metrics
	// Addresses, when set, adds and removes cluster IPs.
	Addresses Addresses
	Logger    *zap.Logger
}

// Proxier runs the userspace forwarding rules of one node.
type Proxier struct {
	src     Source
	opts    Options
	lg      *zap.Logger
	bal     *balancer.Balancer
	trigger chan struct{}

	// rules and addrs belong to the run loop.
	rules map[balancer.ServicePort]*portRules
	addrs map[netip.Addr]struct{}

	mu       sync.Mutex
	pending  map[string]time.Time // service key -> when its first unapplied change was seen
	lastSync time.Time            // when the rules last matched the state
	synced   chan struct{}        // closed after the first successful sync
}

// New returns a proxier over src. It starts nothing and opens nothing.
func New(src Source, opts Options) *Proxier {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.UDPIdleTimeout <= 0 {
		opts.UDPIdleTimeout = forwarder.DefaultUDPIdleTimeout
	}
	if !opts.NodeIP.IsValid() {
		opts.NodeIP = netip.IPv4Unspecified()
	}
	return &Proxier{
		src: src, opts: opts, lg: opts.Logger, bal: balancer.New(opts.Clock),
		trigger: make(chan struct{}, 1),
		rules:   map[balancer.ServicePort]*portRules{},
		addrs:   map[netip.Addr]struct{}{},
		pending: map[string]time.Time{},
		synced:  make(chan struct{}),
	}
}

// Changed tells the proxier that the Service or Endpoints namespace/name may have changed. It
// never blocks; changes that arrive while a sync runs are applied by the next one.
func (p *Proxier) Changed(namespace, name string) {
	key := namespace + "/" + name
	now := p.opts.Clock.Now()
	p.mu.Lock()
	if _, ok := p.pending[key]; !ok {
		p.pending[key] = now
	}
	p.mu.Unlock()
	select {
	case p.trigger <- struct{}{}:
	default:
	}
}

// Synced returns a channel closed once the rules first match the state.
func (p *Proxier) Synced() <-chan struct{} { return p.synced }

// Health returns when the rules last matched the state (zero before the first sync), and since
// when the oldest change not yet applied has waited (zero when none waits).
func (p *Proxier) Health() (lastSync, pendingSince time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.pending {
		if pendingSince.IsZero() || t.Before(pendingSince) {
			pendingSince = t
		}
	}
	return p.lastSync, pendingSince
}

// Endpoints returns the endpoints the proxier forwards svc's port to, in round-robin order.
func (p *Proxier) Endpoints(svc balancer.ServicePort) []string { return p.bal.Endpoints(svc) }

// Run syncs the rules once, then again after every Changed, until ctx ends. A failed sync is
// retried after a second. Shutdown: it closes every listener and every connection and flow they
// carry, removes the cluster IPs it added, and returns nil once every forwarder has returned.
func (p *Proxier) Run(ctx context.Context) error {
	retry := p.opts.Clock.NewTimer(retryPeriod)
	retry.Stop()
	defer retry.Stop()
	p.Changed("", "") // the first sync
	for {
		select {
		case <-ctx.Done():
			p.shutdown()
			return nil
		case <-p.trigger:
		case <-retry.C():
		}
		if err := p.sync(ctx); err != nil {
			if ctx.Err() != nil {
				continue
			}
			p.lg.Warn("sync failed; retrying", zap.Error(err), zap.Duration("after", retryPeriod))
			retry.Reset(retryPeriod)
		}
	}
}

// shutdown stops every rule and removes the addresses added.
func (p *Proxier) shutdown() {
	for svc, r := range p.rules {
		r.stop()
		delete(p.rules, svc)
	}
	// The run context has ended; removing addresses must still be bounded.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ip := range p.addrs {
		if err := p.removeAddress(ctx, ip); err != nil {
			p.lg.Warn("remove cluster IP", zap.Stringer("ip", ip), zap.Error(err))
		}
	}
}

// sync applies the whole current state. The pending changes it takes are applied by it or, when
// it fails, by a later one.
func (p *Proxier) sync(ctx context.Context) error {
	p.mu.Lock()
	pending := p.pending
	p.pending = map[string]time.Time{}
	p.mu.Unlock()

	start := p.opts.Clock.Now()
	err := p.apply(ctx, desired(p.src))
	now := p.opts.Clock.Now()
	p.opts.Metrics.ObserveSyncRun(now.Sub(start))
	if err != nil {
		p.mu.Lock()
		for k, t := range pending {
			if cur, ok := p.pending[k]; !ok || t.Before(cur) {
				p.pending[k] = t
			}
		}
		p.mu.Unlock()
		return err
	}
	for k, t := range pending {
		if k != "/" {
			p.opts.Metrics.ObserveSync(k, now.Sub(t))
		}
	}
	p.mu.Lock()
	p.lastSync = now
	p.mu.Unlock()
	select {
	case <-p.synced:
	default:
		close(p.synced)
	}
	return nil
}

// apply brings the running rules in line with want.
func (p *Proxier) apply(ctx context.Context, want map[balancer.ServicePort]portSpec) error {
	var errs []error
	services := map[string]bool{}
	for svc := range want {
		services[svc.Namespace+"/"+svc.Name] = true
	}
	for svc, r := range p.rules {
		if spec, ok := want[svc]; !ok || spec.listen != r.spec {
			r.stop()
			delete(p.rules, svc)
			if !ok {
				p.bal.Delete(svc)
				p.opts.Metrics.Forget(svc.String())
				if key := svc.Namespace + "/" + svc.Name; !services[key] {
					p.opts.Metrics.ForgetService(key)
				}
			}
			p.lg.Info("closed service port", zap.Stringer("service", svc))
		}
	}
	used := map[netip.Addr]struct{}{}
	for svc, spec := range want {
		used[spec.listen.clusterIP] = struct{}{}
		p.bal.Set(svc, spec.endpoints, spec.affinity)
		if _, ok := p.rules[svc]; ok {
			continue
		}
		if err := p.addAddress(ctx, spec.listen.clusterIP); err != nil {
			errs = append(errs, err)
			continue
		}
		r, err := p.start(ctx, svc, spec.listen)
		if err != nil {
			errs = append(errs, fmt.Errorf("open service port %s: %w", svc, err))
			continue
		}
		p.rules[svc] = r
		p.lg.Info("opened service port", zap.Stringer("service", svc), zap.Stringer("clusterIP", spec.listen.clusterIP),
			zap.Uint16("port", spec.listen.port), zap.Uint16("nodePort", spec.listen.nodePort), zap.String("protocol", spec.listen.protocol))
	}
	for ip := range p.addrs {
		if _, ok := used[ip]; !ok {
			if err := p.removeAddress(ctx, ip); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func (p *Proxier) addAddress(ctx context.Context, ip netip.Addr) error {
	if _, ok := p.addrs[ip]; ok || p.opts.Addresses == nil {
		return nil
	}
	if err := p.opts.Addresses.Add(ctx, ip); err != nil {
		return fmt.Errorf("add cluster IP %s: %w", ip, err)
	}
	p.addrs[ip] = struct{}{}
	return nil
}

func (p *Proxier) removeAddress(ctx context.Context, ip netip.Addr) error {
	if err := p.opts.Addresses.Remove(ctx, ip); err != nil {
		return fmt.Errorf("remove cluster IP %s: %w", ip, err)
	}
	delete(p.addrs, ip)
	return nil
}
