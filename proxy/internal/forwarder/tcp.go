package forwarder

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/metrics"
)

// TCP forwards the connections accepted on one listener to endpoints.
type TCP struct {
	ln      *net.TCPListener
	pick    Picker
	metrics *metrics.Service
	lg      *zap.Logger

	mu    sync.Mutex
	conns map[*net.TCPConn]struct{}
	wg    sync.WaitGroup
}

// NewTCP returns a forwarder that serves ln with endpoints from pick. m may be nil.
func NewTCP(ln *net.TCPListener, pick Picker, m *metrics.Service, lg *zap.Logger) *TCP {
	if lg == nil {
		lg = zap.NewNop()
	}
	return &TCP{ln: ln, pick: pick, metrics: m, lg: lg, conns: map[*net.TCPConn]struct{}{}}
}

// Addr returns the address the forwarder listens on.
func (f *TCP) Addr() *net.TCPAddr { return f.ln.Addr().(*net.TCPAddr) }

// Run accepts connections until ctx ends. Shutdown: it closes the listener, closes every open
// connection (both sides) and returns nil once every connection's goroutines have returned. It
// returns an error if accepting fails for another reason, after the same clean-up.
func (f *TCP) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = f.ln.Close() })
	defer stop()
	var err error
	for {
		c, aerr := f.ln.AcceptTCP()
		if aerr != nil {
			if ctx.Err() == nil && !errors.Is(aerr, net.ErrClosed) {
				f.metrics.Error("accept")
				err = aerr
			}
			break
		}
		if !f.track(c) {
			_ = c.Close()
			break
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.serve(ctx, c)
		}()
	}
	_ = f.ln.Close()
	f.closeAll()
	f.wg.Wait()
	return err
}

// track records c as open; false once the forwarder is shutting down.
func (f *TCP) track(c *net.TCPConn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conns == nil {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *TCP) untrack(c *net.TCPConn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
}

// closeAll closes every tracked connection and refuses new ones. Closing the client side of a
// connection ends both of its copy loops, which close the endpoint side.
func (f *TCP) closeAll() {
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

// serve forwards one client connection, or resets it when no endpoint can be reached.
func (f *TCP) serve(ctx context.Context, client *net.TCPConn) {
	clientIP := ""
	if a, ok := client.RemoteAddr().(*net.TCPAddr); ok {
		clientIP = a.IP.String()
	}
	backend, err := f.dial(ctx, clientIP)
	if err != nil {
		if errors.Is(err, balancer.ErrNoEndpoints) {
			f.metrics.Error("no_endpoints")
		} else {
			f.metrics.Error("exhausted")
			f.lg.Debug("no endpoint reachable", zap.Stringer("client", client.RemoteAddr()), zap.Error(err))
		}
		Reset(client)
		return
	}
	f.metrics.Opened()
	toEndpoint, toClient := Pipe(client, backend)
	f.metrics.Bytes(toEndpoint, toClient)
	f.metrics.Closed()
}

// dial connects to an endpoint for clientIP, trying the next endpoint when one cannot be reached,
// at most maxDialAttempts times.
func (f *TCP) dial(ctx context.Context, clientIP string) (*net.TCPConn, error) {
	var errs []error
	for i := range maxDialAttempts {
		ep, err := f.pick.Next(clientIP, i > 0)
		if err != nil {
			return nil, errors.Join(append(errs, err)...)
		}
		d := net.Dialer{Timeout: dialTimeouts[i]}
		c, err := d.DialContext(ctx, "tcp", ep)
		if err == nil {
			return c.(*net.TCPConn), nil
		}
		f.metrics.Error("dial")
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// Pipe copies between a and b in both directions until both are done, then closes both. When one
// side finishes sending (EOF), the other side's write half is closed, so a half-close reaches the
// peer and the reverse direction carries on. Between two *net.TCPConn the copies use splice(2). It
// returns the bytes moved from a to b and from b to a.
func Pipe(a, b *net.TCPConn) (aToB, bToA int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bToA = copyHalf(a, b)
	}()
	aToB = copyHalf(b, a)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
	return aToB, bToA
}

// copyHalf copies src to dst until src's EOF or an error. On EOF it closes dst's write half so
// the peer sees the end; on an error it resets both, since the stream is broken either way.
func copyHalf(dst, src *net.TCPConn) int64 {
	n, err := io.Copy(dst, src)
	if err != nil {
		_ = src.SetLinger(0)
		_ = dst.SetLinger(0)
		_ = src.Close()
		_ = dst.Close()
		return n
	}
	_ = dst.CloseWrite()
	_ = src.CloseRead()
	return n
}

// Reset closes c with a TCP reset instead of an orderly close, so the client learns at once that
// nothing serves it.
func Reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}
