package framework

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards loopback TCP connections to a backend address. Cut drops every connection at once
// and refuses new ones, as a crashed server would look to its clients; Resume forwards again, to
// a possibly new backend.
type Proxy struct {
	ln net.Listener

	mu      sync.Mutex
	backend string
	cut     bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

// NewProxy returns a proxy forwarding to target, closed when the test ends. Tests use it to cut a
// component off from an apiserver, as a crash or a partition would.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	p, err := newProxy()
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	tb.Cleanup(p.Close)
	p.Resume(target)
	return p
}

func newProxy() (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, conns: map[net.Conn]struct{}{}, cut: true}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		backend, cut := p.backend, p.cut
		p.mu.Unlock()
		if cut {
			_ = c.Close()
			continue
		}
		b, err := net.Dial("tcp", backend)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			_ = b.Close()
			continue
		}
		p.conns[c], p.conns[b] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, b)
		go p.pipe(b, c)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	// Either side ending ends both: a half-closed pipe would keep a dead peer looking alive.
	_, _ = io.Copy(dst, src)
	p.drop(dst)
	p.drop(src)
}

func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// Resume forwards new connections to backend.
func (p *Proxy) Resume(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backend, p.cut = backend, false
}

// Cut drops every connection with a reset and refuses new ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

// Close stops the Proxy and waits for its goroutines.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}
