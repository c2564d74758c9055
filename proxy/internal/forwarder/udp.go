package forwarder

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/metrics"
)

// maxDatagram is the largest UDP payload relayed.
const maxDatagram = 65507

// UDP forwards the datagrams received on one socket to endpoints. Each client address gets a
// flow: its own socket connected to the endpoint chosen for the client's first datagram, over
// which later datagrams go and from which replies are relayed back to the client from the
// service's address. A flow that carries nothing either way for the idle timeout is closed; the
// client's next datagram starts a new one.
type UDP struct {
	conn    *net.UDPConn
	pick    Picker
	clk     clock.Clock
	idle    time.Duration
	metrics *metrics.Service
	lg      *zap.Logger

	mu     sync.Mutex
	flows  map[string]*flow
	closed bool
	wg     sync.WaitGroup
}

// flow is one client's association with an endpoint.
type flow struct {
	client   *net.UDPAddr
	endpoint string
	backend  *net.UDPConn
	timer    clock.Timer

	mu   sync.Mutex
	last time.Time
	done bool
}

// NewUDP returns a forwarder that serves conn with endpoints from pick, ending flows idle for
// idle on clk. m may be nil.
func NewUDP(conn *net.UDPConn, pick Picker, clk clock.Clock, idle time.Duration, m *metrics.Service, lg *zap.Logger) *UDP {
	if lg == nil {
		lg = zap.NewNop()
	}
	if idle <= 0 {
		idle = DefaultUDPIdleTimeout
	}
	return &UDP{conn: conn, pick: pick, clk: clk, idle: idle, metrics: m, lg: lg, flows: map[string]*flow{}}
}

// Addr returns the address the forwarder receives on.
func (f *UDP) Addr() *net.UDPAddr { return f.conn.LocalAddr().(*net.UDPAddr) }

// Flows returns the number of open flows.
func (f *UDP) Flows() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.flows)
}

// FlowEndpoint returns the endpoint of client's open flow, or "" when it has none.
func (f *UDP) FlowEndpoint(client string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.flows[client]; ok {
		return fl.endpoint
	}
	return ""
}

// Run relays datagrams until ctx ends. Shutdown: it closes the service socket and every flow and
// returns nil once every relay goroutine has returned; a read error other than the close is
// returned after the same clean-up.
func (f *UDP) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = f.conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	var err error
	for {
		n, client, rerr := f.conn.ReadFromUDP(buf)
		if rerr != nil {
			if ctx.Err() == nil && !errors.Is(rerr, net.ErrClosed) {
				f.metrics.Error("io")
				err = rerr
			}
			break
		}
		fl, ferr := f.flowFor(ctx, client)
		if ferr != nil {
			if errors.Is(ferr, balancer.ErrNoEndpoints) {
				f.metrics.Error("no_endpoints")
			} else {
				f.metrics.Error("dial")
			}
			continue // UDP has no reset: the datagram is dropped, as the network would
		}
		fl.touch(f.clk.Now())
		if _, werr := fl.backend.Write(buf[:n]); werr != nil {
			f.metrics.Error("io")
			continue
		}
		f.metrics.Bytes(int64(n), 0)
	}
	_ = f.conn.Close()
	f.mu.Lock()
	f.closed = true
	flows := f.flows
	f.flows = map[string]*flow{}
	f.mu.Unlock()
	for _, fl := range flows {
		f.end(fl)
	}
	f.wg.Wait()
	return err
}

// flowFor returns client's flow, opening one to a newly chosen endpoint if it has none.
func (f *UDP) flowFor(ctx context.Context, client *net.UDPAddr) (*flow, error) {
	key := client.String()
	f.mu.Lock()
	fl, ok := f.flows[key]
	f.mu.Unlock()
	if ok {
		return fl, nil
	}
	ep, err := f.pick.Next(client.IP.String(), false)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", ep)
	if err != nil {
		return nil, err
	}
	fl = &flow{client: client, endpoint: ep, backend: c.(*net.UDPConn), last: f.clk.Now()}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		_ = c.Close()
		return nil, net.ErrClosed
	}
	f.flows[key] = fl
	fl.mu.Lock()
	fl.timer = f.clk.AfterFunc(f.idle, func() { f.expire(key, fl) })
	fl.mu.Unlock()
	f.wg.Add(1)
	f.mu.Unlock()
	f.metrics.Opened()
	go func() {
		defer f.wg.Done()
		f.relayReplies(fl)
	}()
	return fl, nil
}

// relayReplies sends what the endpoint answers on fl back to its client until the flow closes.
func (f *UDP) relayReplies(fl *flow) {
	buf := make([]byte, maxDatagram)
	for {
		n, err := fl.backend.Read(buf)
		if err != nil {
			// An ICMP port unreachable from the endpoint surfaces as ECONNREFUSED: keep the flow
			// until it idles out, since the client may retry and the endpoint come back.
			if errors.Is(err, syscall.ECONNREFUSED) && !fl.isDone() {
				f.metrics.Error("io")
				continue
			}
			return
		}
		fl.touch(f.clk.Now())
		if _, err := f.conn.WriteToUDP(buf[:n], fl.client); err != nil {
			f.metrics.Error("io")
			continue
		}
		f.metrics.Bytes(0, int64(n))
	}
}

// expire ends fl if it has been idle for the timeout, else re-arms its timer for the rest.
func (f *UDP) expire(key string, fl *flow) {
	fl.mu.Lock()
	if rest := f.idle - f.clk.Since(fl.last); rest > 0 && !fl.done {
		fl.timer.Reset(rest)
		fl.mu.Unlock()
		return
	}
	fl.mu.Unlock()
	f.mu.Lock()
	if cur, ok := f.flows[key]; ok && cur == fl {
		delete(f.flows, key)
	}
	f.mu.Unlock()
	f.end(fl)
}

// end closes fl once; its relay goroutine returns on the close.
func (f *UDP) end(fl *flow) {
	fl.mu.Lock()
	if fl.done {
		fl.mu.Unlock()
		return
	}
	fl.done = true
	fl.timer.Stop()
	fl.mu.Unlock()
	_ = fl.backend.Close()
	f.metrics.Closed()
}

func (fl *flow) touch(now time.Time) {
	fl.mu.Lock()
	fl.last = now
	fl.mu.Unlock()
}

func (fl *flow) isDone() bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.done
}
