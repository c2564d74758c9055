package userspace

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/forwarder"
)

// portRules are the running listeners of one service port.
type portRules struct {
	spec   listenSpec
	cancel context.CancelFunc
	done   chan struct{}
}

// stop closes the listeners and every connection they carry, and waits for their forwarders.
func (r *portRules) stop() {
	r.cancel()
	<-r.done
}

// runner is a forwarder.
type runner interface {
	Run(ctx context.Context) error
}

// start opens svc's listeners (cluster IP, and node port when it has one) and runs a forwarder on
// each under ctx. Either every listener opens or none stays open.
func (p *Proxier) start(ctx context.Context, svc balancer.ServicePort, spec listenSpec) (*portRules, error) {
	addrs := []netip.AddrPort{netip.AddrPortFrom(spec.clusterIP, spec.port)}
	if spec.nodePort != 0 {
		addrs = append(addrs, netip.AddrPortFrom(p.opts.NodeIP, spec.nodePort))
	}
	pick := forwarder.PickerFunc(func(clientIP string, reset bool) (string, error) {
		return p.bal.Next(svc, clientIP, reset)
	})
	m := p.opts.Metrics.Service(svc.String(), spec.protocol)
	lg := p.lg.With(zap.Stringer("service", svc))
	var fwds []runner
	var closers []func() error
	var lc net.ListenConfig
	for _, a := range addrs {
		network := strings.ToLower(spec.protocol)
		switch spec.protocol {
		case "UDP":
			pc, err := lc.ListenPacket(ctx, network, a.String())
			if err != nil {
				closeAll(closers)
				return nil, err
			}
			closers = append(closers, pc.Close)
			fwds = append(fwds, forwarder.NewUDP(pc.(*net.UDPConn), pick, p.opts.Clock, p.opts.UDPIdleTimeout, m, lg))
		default:
			ln, err := lc.Listen(ctx, network, a.String())
			if err != nil {
				closeAll(closers)
				return nil, err
			}
			closers = append(closers, ln.Close)
			fwds = append(fwds, forwarder.NewTCP(ln.(*net.TCPListener), pick, m, lg))
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &portRules{spec: spec, cancel: cancel, done: make(chan struct{})}
	fns := make([]func(context.Context) error, len(fwds))
	for i, f := range fwds {
		fns[i] = f.Run
	}
	go func() {
		defer close(r.done)
		if err := run.Group(rctx, fns...); err != nil && !errors.Is(err, context.Canceled) {
			lg.Error("forwarder failed", zap.Error(err))
		}
	}()
	return r, nil
}

func closeAll(closers []func() error) {
	for _, c := range closers {
		_ = c()
	}
}
