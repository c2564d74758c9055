package framework

import (
	"crypto/tls"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
)

// Options shape a test cluster.
type Options struct {
	// APIServers is how many replicas to start (default 1).
	APIServers int
	// Configure adjusts every apiserver's configuration (watch cache size, compaction, ...).
	Configure func(*server.Config)
	// Logger receives the servers' logs (default: the test log at warn level).
	Logger *zap.Logger
	// PlainText serves the replicas' port in plain text and authorizes every request
	// (AlwaysAllow), as a development apiserver without credentials does: for the plain-text
	// baselines of benchmarks and the tests of that mode. By default a cluster is secure as a
	// production one is: every replica serves TLS with a PKI generated for the cluster, verifies
	// client certificates and kubelets against the cluster CA and authorizes with Node,RBAC. The
	// clients the cluster hands out are the admin (system:masters), kubelets get their own
	// identity and serving certificate, and the scheduler, controller manager and proxy started
	// against its endpoints theirs (see Kubeconfig).
	PlainText bool
	// EmbeddedEtcd runs the apiserver on its own embedded etcd, as `make run` does, instead of on
	// a separate etcd behind a proxy. It allows one apiserver, and no CutEtcd or EtcdClient.
	EmbeddedEtcd bool
	// ServiceClusterIPRange is the apiserver's service range, a loopback CIDR (default
	// DefaultServiceClusterIPRange); unless PlainText, its first address (the kubernetes Service's) is a
	// SAN of the serving certificate. A test that serves the kubernetes Service through a proxy
	// takes a range of its own, so that tests running at the same time do not all listen on the
	// same cluster IP.
	ServiceClusterIPRange string
}

// DefaultServiceClusterIPRange is the loopback range test clusters allocate cluster IPs from.
const DefaultServiceClusterIPRange = "127.96.0.0/16"

// Cluster is a running test cluster.
type Cluster struct {
	t         testing.TB
	opts      Options
	etcdProxy *Proxy
	// embeddedDir is the embedded etcd's data directory, kept across restarts.
	embeddedDir string
	etcdURL     string
	apis        []*replica
	// pki and adminTLS are the cluster's certificates and the admin's TLS configuration, nil
	// with Options.PlainText.
	pki      *clusterpki.Cluster
	adminTLS *tls.Config
	// kubelets numbers the cluster's kubelets so that their default names and addresses differ.
	kubelets atomic.Int64
}

// replica is one apiserver slot: the proxy clients dial stays while servers behind it come and go.
type replica struct {
	proxy *Proxy
	srv   *server.Server
	run   *Running
}

// StartCluster starts etcd and opts.APIServers apiservers, waits until every one is ready, and
// registers their shutdown with tb.Cleanup, followed by a check that no goroutine running Keelson
// code (KeelsonCode) outlived them or anything else the test started after the cluster.
func StartCluster(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	// Registered first, so it runs after every other cleanup of the test.
	CheckLeaks(tb, KeelsonCode...)
	if opts.APIServers <= 0 {
		opts.APIServers = 1
	}
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(tb, zaptest.Level(zap.WarnLevel))
	}
	if opts.ServiceClusterIPRange == "" {
		opts.ServiceClusterIPRange = DefaultServiceClusterIPRange
	}
	c := &Cluster{t: tb, opts: opts}
	if opts.EmbeddedEtcd {
		if opts.APIServers != 1 {
			tb.Fatalf("an embedded etcd serves one apiserver, not %d", opts.APIServers)
		}
		c.embeddedDir = tb.TempDir()
	} else {
		_, url := etcdtest.Start(tb)
		// The apiservers reach etcd through a proxy too, so a test can cut them off from it.
		ep, err := newProxy()
		if err != nil {
			tb.Fatalf("etcd proxy: %v", err)
		}
		tb.Cleanup(ep.Close)
		ep.Resume(strings.TrimPrefix(url, "http://"))
		c.etcdProxy, c.etcdURL = ep, url
	}
	for i := 0; i < opts.APIServers; i++ {
		p, err := newProxy()
		if err != nil {
			tb.Fatalf("proxy: %v", err)
		}
		c.apis = append(c.apis, &replica{proxy: p})
		tb.Cleanup(p.Close)
	}
	if !opts.PlainText {
		c.setupTLS(tb)
	}
	c.register()
	for i := range c.apis {
		c.StartAPIServer(i)
	}
	tb.Cleanup(func() {
		for i := range c.apis {
			c.StopAPIServer(i)
		}
	})
	return c
}

// CutEtcd cuts every apiserver off from etcd, as an outage would, until ResumeEtcd.
func (c *Cluster) CutEtcd() { c.sharedEtcd().Cut() }

// ResumeEtcd lets the apiservers reach etcd again.
func (c *Cluster) ResumeEtcd() { c.sharedEtcd().Resume(strings.TrimPrefix(c.etcdURL, "http://")) }

// sharedEtcd returns the proxy to the cluster's own etcd; a cluster on an embedded etcd has none.
func (c *Cluster) sharedEtcd() *Proxy {
	if c.etcdProxy == nil {
		c.t.Fatalf("the cluster runs on the apiserver's embedded etcd: no shared etcd to cut")
	}
	return c.etcdProxy
}

// EtcdURL returns the client URL of the cluster's etcd.
func (c *Cluster) EtcdURL() string { return c.etcdURL }

// Endpoint returns the address clients use for replica i.
func (c *Cluster) Endpoint(i int) string { return c.apis[i].proxy.Addr() }

// Endpoints returns every replica's client address.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.apis))
	for i := range c.apis {
		out[i] = c.Endpoint(i)
	}
	return out
}

// APIServer returns replica i's running server, or nil when it is stopped.
func (c *Cluster) APIServer(i int) *server.Server { return c.apis[i].srv }

// ServerConfig returns the configuration replica servers start with.
func (c *Cluster) ServerConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.Port = 0
	if c.opts.EmbeddedEtcd {
		cfg.DataDir = c.embeddedDir
		cfg.EtcdClientPort, cfg.EtcdPeerPort = 0, 0
		cfg.EtcdUnsafeNoFsync = true
	} else {
		cfg.EtcdServers = []string{"http://" + c.etcdProxy.Addr()}
		cfg.DataDir = ""
	}
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.WatchBookmarkInterval = time.Second
	cfg.CompactionInterval = 0
	cfg.ServiceClusterIPRange = c.opts.ServiceClusterIPRange // tests use loopback service addresses only
	c.configureTLS(&cfg)
	if c.opts.Configure != nil {
		c.opts.Configure(&cfg)
	}
	return cfg
}

// StartAPIServer starts a server for replica i and waits until it is ready.
func (c *Cluster) StartAPIServer(i int) {
	c.t.Helper()
	r := c.apis[i]
	if r.srv != nil {
		c.t.Fatalf("apiserver %d is already running", i)
	}
	srv, err := server.New(c.ServerConfig(), c.opts.Logger.Named(fmt.Sprintf("apiserver-%d", i)))
	if err != nil {
		c.t.Fatalf("apiserver %d: %v", i, err)
	}
	run := Start(c.t, srv)
	run.WaitFor(30*time.Second, func() bool {
		select {
		case <-srv.Ready():
			return true
		default:
			return false
		}
	}, "apiserver %d ready", i)
	r.srv, r.run = srv, run
	r.proxy.Resume(srv.Addr().String())
	clusters.Store(srv.Addr().String(), c) // tests may also reach a replica directly
}

// StopAPIServer shuts replica i down gracefully and waits for it.
func (c *Cluster) StopAPIServer(i int) {
	r := c.apis[i]
	if r.srv == nil {
		return
	}
	if err := r.run.Stop(); err != nil {
		c.t.Errorf("apiserver %d: %v", i, err)
	}
	r.proxy.Cut()
	clusters.Delete(r.srv.Addr().String())
	r.srv = nil
}

// KillAPIServer makes replica i vanish the way a crashed process does: every connection to it is
// reset at once and no new one is accepted. The server behind the proxy is then stopped.
func (c *Cluster) KillAPIServer(i int) {
	r := c.apis[i]
	r.proxy.Cut()
	c.StopAPIServer(i)
}

// Client returns a client of the given endpoints (all replicas when none are given), as the admin
// over TLS unless Options.PlainText, closed when the test ends.
func (c *Cluster) Client(endpoints ...string) *client.Client {
	c.t.Helper()
	if len(endpoints) == 0 {
		endpoints = c.Endpoints()
	}
	cl, err := client.New(client.Config{Endpoints: endpoints, TLS: c.AdminTLSConfig(), Logger: c.opts.Logger.Named("client")})
	if err != nil {
		c.t.Fatalf("client: %v", err)
	}
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// EtcdClient returns a raw etcd client of the cluster's etcd, closed when the test ends.
func (c *Cluster) EtcdClient() *clientv3.Client {
	c.t.Helper()
	if c.etcdURL == "" {
		c.t.Fatalf("the cluster runs on the apiserver's embedded etcd: use APIServer(0).EtcdClient()")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.etcdURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.t.Fatalf("etcd client: %v", err)
	}
	c.t.Cleanup(func() { _ = cli.Close() })
	return cli
}
