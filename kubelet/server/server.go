// Package server is the embeddable keelson-kubelet: New builds it from a Config without starting
// anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// A kubelet registers its node and keeps its status and Lease, merges the pods of its four
// sources (the API server, --pod-manifest-path, --manifest-url and POST /manifests) into one
// desired set handed to the pod workers, keeps mirror pods for its static pods, and serves the
// kubelet API (see package httpserver) and a health endpoint. With --hollow-nodes it runs many
// hollow node agents instead, sharing one API client and one pod informer.
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/agent"
	"github.com/keelson-dev/keelson/kubelet/internal/httpserver"
	"github.com/keelson-dev/keelson/kubelet/internal/nodestatus"
	"github.com/keelson-dev/keelson/kubelet/internal/pods"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/version"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// PodWorkers is what the kubelet hands its desired set to and reads container logs from.
type PodWorkers interface {
	podsource.PodSink
	httpserver.LogReader
}

// Server is the kubelet of one node, or of many hollow ones.
type Server struct {
	cfg      Config
	nodeName string
	nodeIP   string
	lg       *zap.Logger
	clock    clock.Clock
	registry *prometheus.Registry
	health   *run.HTTPEndpoint

	// The real node's pod workers and runtime: built by Run from the configuration unless
	// UsePodWorkers set them first.
	workers PodWorkers
	runtime nodestatus.Versioner

	// credentials and certClock, when set, build the clients and time the renewals of a
	// bootstrapping kubelet (see UseCredentials, UseCertificateClock).
	credentials Credentials
	certClock   clock.Clock

	mu      sync.Mutex
	apiAddr net.Addr
	agents  map[string]*agent.NodeAgent

	// shutdownReq is closed by Shutdown; stopped is closed when Run returns.
	shutdownOnce sync.Once
	shutdownReq  chan struct{}
	stopped      chan struct{}
	// listening is closed once the kubelet API listens.
	listening chan struct{}
}

// New validates cfg, settles the node name and address and builds a kubelet. It starts no
// goroutine and opens no port.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid kubelet configuration: %w", err)
	}
	nodeName, err := config.NodeName(cfg.HostnameOverride)
	if err != nil {
		return nil, err
	}
	nodeIP := cfg.NodeIP
	if nodeIP == "" {
		nodeIP = defaultNodeIP()
	}
	reg := healthz.NewRegistry()
	health, err := healthz.NewEndpoint(cfg.healthzServing().Address(), cfg.ShutdownTimeout, healthz.Config{
		Live:    []healthz.Check{healthz.Ping()},
		Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	if cfg.HollowNodes > 0 {
		nodeName = cfg.HollowNodePrefix
	}
	return &Server{
		cfg:      cfg,
		nodeName: nodeName,
		nodeIP:   nodeIP,
		lg:       lg.With(zap.String("node", nodeName)),
		clock:    clock.RealClock{},
		registry: reg,
		health:   health,
		agents:   map[string]*agent.NodeAgent{},

		shutdownReq: make(chan struct{}),
		stopped:     make(chan struct{}),
		listening:   make(chan struct{}),
	}, nil
}

// defaultNodeIP is the machine's first non-loopback IPv4 address, else 127.0.0.1.
func defaultNodeIP() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

// UsePodWorkers makes the real node hand its desired set to w and read container logs from it,
// and names rt in the node's status, instead of the runtime and pod workers the configuration
// asks for. Call it before Run.
func (s *Server) UsePodWorkers(w PodWorkers, rt nodestatus.Versioner) {
	s.workers, s.runtime = w, rt
}

// NodeName returns the name of the node this kubelet runs (the prefix, for hollow nodes).
func (s *Server) NodeName() string { return s.nodeName }

// NodeIP returns the node's InternalIP.
func (s *Server) NodeIP() string { return s.nodeIP }

// Ready is closed once the kubelet API listens and is about to serve.
func (s *Server) Ready() <-chan struct{} { return s.listening }

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr { return s.health.Addr() }

// APIAddr returns the address the kubelet API listens on, or nil until Run has opened it.
func (s *Server) APIAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiAddr
}

// DesiredPods returns node's desired pod set as last merged from its sources, or nil for a node
// this kubelet does not run (yet).
func (s *Server) DesiredPods(node string) []*corev1.Pod {
	s.mu.Lock()
	a := s.agents[node]
	s.mu.Unlock()
	if a == nil {
		return nil
	}
	return a.Pods()
}

// NodeNames returns the nodes this kubelet runs once Run has started them.
func (s *Server) NodeNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.agents))
	for n := range s.agents {
		names = append(names, n)
	}
	return names
}

// Run serves until ctx ends or Shutdown is called: it opens the health endpoint and the kubelet
// API, registers the node(s), keeps status and leases, runs the pod sources and mirror pods. Then,
// with --shutdown-grace-period set, it shuts the node down while every loop still runs (marks it not
// ready, terminates its pods); it stops accepting connections, lets in-flight requests finish
// within the shutdown timeout, stops every loop and returns nil. It must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	defer close(s.stopped)
	s.lg.Info("kubelet starting", zap.String("healthz", s.cfg.healthzServing().Address()),
		zap.String("api", s.cfg.apiAddress()), zap.Strings("apiservers", s.cfg.APIServers), zap.String("kubeconfig", s.cfg.Kubeconfig),
		zap.String("bootstrapKubeconfig", s.cfg.Bootstrap.BootstrapKubeconfig))
	c, credFns, err := s.apiClient(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // closing a client whose calls have all returned cannot fail usefully
	factory := informer.NewFactory(c, informer.FactoryOptions{Logger: s.lg.Named("informers")})
	sel := informer.Selection{FieldSelector: "spec.nodeName=" + s.nodeName}
	if s.cfg.HollowNodes > 0 {
		sel = informer.Selection{} // one watch of every pod, routed to the hollow nodes locally
	}
	apiPods, err := podsource.NewAPIPods(informer.For[*corev1.Pod](factory, sel))
	if err != nil {
		return err
	}
	recorder := events.New(events.Config{
		Sink: events.ClientSink{Client: c}, Component: "kubelet", Host: s.nodeName,
		Scheme: c.Scheme(), Clock: s.clock, Logger: s.lg.Named("events"),
	})
	tlsCfg, err := s.servingTLS()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.apiAddress())
	if err != nil {
		return fmt.Errorf("kubelet API: listen on %s: %w", s.cfg.apiAddress(), err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	} else {
		s.lg.Warn("serving the kubelet API in plain text; set --tls-cert-file or --cert-dir", zap.Stringer("address", ln.Addr()))
	}
	s.mu.Lock()
	s.apiAddr = ln.Addr()
	s.mu.Unlock()
	port := int32(ln.Addr().(*net.TCPAddr).Port) //nolint:gosec // a TCP port fits in int32

	deps := agent.Deps{Client: c, APIPods: apiPods, Recorder: recorder, Clock: s.clock}
	fns := append([]func(context.Context) error{s.health.Run, factory.Run, recorder.Run}, credFns...)
	var handler http.Handler
	if s.cfg.HollowNodes > 0 {
		wd := workerDeps{client: c, objects: pods.NewCachedObjects(c, factory), recorder: recorder, sourcesReady: apiPods.HasSynced}
		var nodeFns []func(context.Context) error
		nodeFns, err = s.hollowAgents(deps, wd, port)
		fns = append(fns, nodeFns...)
		if err == nil {
			handler, err = s.apiHandler(nil, nil)
		}
	} else {
		var nodeFns []func(context.Context) error
		nodeFns, err = s.defaultWorkers(c, factory, apiPods, recorder)
		fns = append(fns, nodeFns...)
		if err == nil {
			nodeFns, handler, err = s.realAgent(deps, port, c.Scheme())
			fns = append(fns, nodeFns...)
		}
	}
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	close(s.listening)
	fns = append(fns, func(ctx context.Context) error { return run.HTTPServer(ctx, srv, ln, s.cfg.ShutdownTimeout) })
	// The loops outlive ctx while the node shuts down: the pods' statuses and the node's still
	// have to reach the API server.
	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLoops()
	fns = append(fns, func(loops context.Context) error { return s.awaitShutdown(ctx, loops, stopLoops) })
	err = run.Group(loopCtx, fns...)
	s.lg.Info("kubelet stopped", zap.Error(err))
	return err
}

// baseAgentConfig is the node agent configuration every node of this kubelet shares.
func (s *Server) baseAgentConfig(name, nodeIP string, port int32) agent.Config {
	labels, _ := parseLabels(s.cfg.NodeLabels)         // validated by New
	taints, _ := parseTaints(s.cfg.RegisterWithTaints) // validated by New
	sysRes, _ := parseReserved("system-reserved", s.cfg.SystemReserved)
	kubeRes, _ := parseReserved("kube-reserved", s.cfg.KubeReserved)
	return agent.Config{
		Node: nodestatus.Config{
			NodeName: name, Register: s.cfg.RegisterNode, Labels: labels, Taints: taints,
			UpdateFrequency: s.cfg.NodeStatusUpdateFrequency,
			Info: nodestatus.Info{
				NodeIP: nodeIP, Hostname: name, KubeletPort: port, MaxPods: int64(s.cfg.MaxPods),
				SystemReserved: sysRes, KubeReserved: kubeRes, Thresholds: nodestatus.DefaultThresholds(),
				KubeletVersion: version.Get().GitVersion,
			},
		},
		LeaseDuration: time.Duration(s.cfg.NodeLeaseDurationSeconds) * time.Second,
		MirrorResync:  s.cfg.NodeStatusUpdateFrequency,
	}
}

// machine is the real node's machine: its figures, with the root directory's file system as
// its ephemeral storage.
func (s *Server) machine() nodestatus.Machine {
	fsPath := s.cfg.RootDir
	if _, err := os.Stat(fsPath); err != nil {
		fsPath = "/"
	}
	return nodestatus.Proc{FSPath: fsPath}
}

// nodeAllocatable is the allocatable the node's status reports for m now, which a container's
// resourceFieldRef reads when it sets no limit, as in Kubernetes; nil if m cannot be read.
func (s *Server) nodeAllocatable(m nodestatus.Machine, nodeIP string) map[string]string {
	f, err := m.Read()
	if err != nil {
		s.lg.Warn("read machine figures for node allocatable", zap.Error(err))
		return nil
	}
	return nodestatus.Build(f, s.baseAgentConfig("", nodeIP, 0).Node.Info, nodestatus.Health{}).GetAllocatable()
}

// realAgent builds the one node of a normal kubelet, its static pod sources and its API handler.
func (s *Server) realAgent(deps agent.Deps, port int32, sch *scheme.Scheme) ([]func(context.Context) error, http.Handler, error) {
	deps.Machine = s.machine()
	deps.Logger = s.lg
	if s.workers != nil {
		deps.Sink = s.workers
	}
	deps.Runtime = s.runtime
	a := agent.New(s.baseAgentConfig(s.nodeName, s.nodeIP, port), deps)
	s.mu.Lock()
	s.agents[s.nodeName] = a
	s.mu.Unlock()

	fns := []func(context.Context) error{a.Run}
	if s.cfg.PodManifestPath != "" {
		fns = append(fns, podsource.NewFileSource(s.cfg.PodManifestPath, s.cfg.FileCheckFrequency, s.nodeName, sch,
			a.Sources(), a, s.clock, s.lg.Named("file-source")).Run)
	}
	if s.cfg.ManifestURL != "" {
		header, _ := parseHeaders(s.cfg.ManifestURLHeader) // validated by New
		fns = append(fns, podsource.NewURLSource(s.cfg.ManifestURL, header, s.cfg.HTTPCheckFrequency, s.nodeName, sch,
			a.Sources(), a, s.clock, s.lg.Named("url-source")).Run)
	}
	h, err := s.apiHandler(a, podsource.NewPosted(s.nodeName, sch, a.Sources(), s.clock))
	return fns, h, err
}

// apiHandler serves the kubelet API for a (nil for hollow nodes, which serve health and metrics
// only).
func (s *Server) apiHandler(a *agent.NodeAgent, posted *podsource.Posted) (http.Handler, error) {
	if a == nil {
		mux := http.NewServeMux()
		if err := healthz.Install(mux, healthz.Config{Live: []healthz.Check{healthz.Ping()}, Metrics: s.registry}); err != nil {
			return nil, err
		}
		return mux, nil
	}
	cfg := httpserver.Config{
		NodeName: s.nodeName, Pods: a, Manifests: posted, Report: a,
		Metrics: s.registry, Scheme: scheme.Builtin(), Logger: s.lg.Named("api"),
	}
	if s.workers != nil {
		cfg.Logs = s.workers
	}
	return httpserver.NewHandler(cfg)
}

// hollowAgents builds the hollow node agents. They share the client, the pod and service
// informers and the event recorder; each has its own (fixed) machine figures, hollow runtime, pod
// workers and loops. Their InternalIPs are 127.x addresses derived from their index.
func (s *Server) hollowAgents(deps agent.Deps, wd workerDeps, port int32) ([]func(context.Context) error, error) {
	machine := nodestatus.Fixed{
		CPUs: 4, MemoryTotal: 16 << 30, MemoryAvailable: 12 << 30, FSCapacity: 100 << 30, FSAvailable: 80 << 30,
		PIDMax: 4194304, PIDsInUse: 100, BootID: "hollow", KernelVersion: "hollow", OSImage: "Keelson hollow node",
	}
	allocatable := s.nodeAllocatable(machine, "")
	fns := make([]func(context.Context) error, 0, 2*s.cfg.HollowNodes)
	// The nodes start one step apart, spread over one status period, so that their registrations,
	// status posts and lease renewals reach the API server evenly instead of all at once.
	step := s.cfg.NodeStatusUpdateFrequency / time.Duration(s.cfg.HollowNodes)
	for i := range s.cfg.HollowNodes {
		name, ip := s.cfg.HollowNodePrefix+"-"+strconv.Itoa(i), hollowIP(i)
		d := deps
		d.Machine = machine
		d.Logger = s.lg.With(zap.String("node", name))
		rt := hollow.New(s.clock)
		w, err := s.newPodWorkers(name, ip, rt, wd, allocatable, false, d.Logger)
		if err != nil {
			return nil, err
		}
		d.Sink, d.Runtime = w, rt
		fns = append(fns, w.Run)
		cfg := s.baseAgentConfig(name, ip, port)
		cfg.NoStaticPods = true
		a := agent.New(cfg, d)
		s.mu.Lock()
		s.agents[name] = a
		s.mu.Unlock()
		delay := time.Duration(i) * step
		fns = append(fns, func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				return nil
			case <-s.clock.After(delay):
			}
			return a.Run(ctx)
		})
	}
	return fns, nil
}

// hollowIP maps index i into 127.1.0.0/16 and beyond (127.1.0.1 for 0).
func hollowIP(i int) string {
	n := i + 1
	return fmt.Sprintf("127.%d.%d.%d", 1+n>>16, (n>>8)&0xff, n&0xff)
}
