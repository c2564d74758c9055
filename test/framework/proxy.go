package framework

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	proxyserver "github.com/keelson-dev/keelson/proxy/server"
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
	if c := clusterOf(target); c != nil {
		// Daemons and clients given the proxy's address reach the cluster behind it.
		clusters.Store(p.Addr(), c)
		tb.Cleanup(func() { clusters.Delete(p.Addr()) })
	}
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

// ServiceProxy is a keelson-proxy running in-process.
type ServiceProxy struct {
	*Running
	Server *proxyserver.Server
}

// StartServiceProxy runs a keelson-proxy in userspace mode against the apiserver endpoints (as
// system:kube-proxy when they are a secure test cluster's), with
// node ports on nodeIP (a loopback address), its health and metrics endpoints on free loopback
// ports and no cluster IP ever put on an interface, and waits until /healthz reports its rules
// synced. configure may adjust the configuration first. It logs to the test at info level and
// stops when the test ends (see Start).
func StartServiceProxy(tb testing.TB, endpoints []string, nodeIP string, configure func(*proxyserver.Config)) *ServiceProxy {
	tb.Helper()
	cfg := proxyserver.DefaultConfig()
	cfg.APIServers = endpoints
	cfg.BindAddress = nodeIP
	cfg.HealthzBindAddress, cfg.MetricsBindAddress = "127.0.0.1:0", "127.0.0.1:0"
	cfg.ClusterIPInterface = ""
	cfg.HostnameOverride = "proxy-node"
	cfg.ShutdownTimeout = 5 * time.Second
	if c := secureClusterOf(endpoints); c != nil {
		cfg.Kubeconfig = c.Kubeconfig(clusterpki.ProxyName)
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := proxyserver.New(cfg, zaptest.NewLogger(tb, zaptest.Level(zap.InfoLevel)).Named("proxy"))
	if err != nil {
		tb.Fatalf("proxy: %v", err)
	}
	p := &ServiceProxy{Running: Start(tb, srv), Server: srv}
	p.WaitFor(30*time.Second, func() bool {
		a := srv.Addr()
		if a == nil {
			return false
		}
		resp, err := http.Get("http://" + a.String() + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "proxy rules synced")
	return p
}

// Metrics returns the proxy's metric samples (see ScrapeMetrics).
func (p *ServiceProxy) Metrics(tb testing.TB) map[string]float64 {
	tb.Helper()
	return ScrapeMetrics(tb, p.Server.MetricsAddr().String())
}

// StartHTTPBackend serves HTTP on ip (a loopback address) at a free port, answering every request
// with the server's own address, and returns that address. It stops when the test ends.
func StartHTTPBackend(tb testing.TB, ip string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatalf("backend: %v", err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, addr)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed once Close below runs
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return addr
}

// RandomLoopbackIP returns a random address in 127.<second>.0.0/16, so tests that listen on fixed
// ports of service addresses (cluster IPs in 127.96/16, node IPs in 127.97/16) do not collide
// with tests running at the same time.
func RandomLoopbackIP(second byte) string {
	return fmt.Sprintf("127.%d.%d.%d", second, rand.IntN(256), 1+rand.IntN(254))
}
