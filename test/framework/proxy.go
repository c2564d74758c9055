package framework

import (
	"io"
	"net"
	"sync"
)

// proxy forwards loopback TCP connections to a backend address. Cut drops every connection at once
// and refuses new ones, as a crashed server would look to its clients; Resume forwards again, to
// a possibly new backend.
type proxy struct {
	ln net.Listener

	mu      sync.Mutex
	backend string
	cut     bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func newProxy() (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, conns: map[net.Conn]struct{}{}, cut: true}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the address clients dial.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
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

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	// Either side ending ends both: a half-closed pipe would keep a dead peer looking alive.
	_, _ = io.Copy(dst, src)
	p.drop(dst)
	p.drop(src)
}

func (p *proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// Resume forwards new connections to backend.
func (p *proxy) Resume(backend string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backend, p.cut = backend, false
}

// Cut drops every connection with a reset and refuses new ones.
func (p *proxy) Cut() {
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

// Close stops the proxy and waits for its goroutines.
func (p *proxy) Close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}
