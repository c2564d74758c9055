package pods

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// probeKind is which of a container's probes a prober runs.
type probeKind int

const (
	liveness probeKind = iota
	readiness
	startup
)

func (k probeKind) String() string {
	switch k {
	case liveness:
		return "Liveness"
	case readiness:
		return "Readiness"
	default:
		return "Startup"
	}
}

// probeSet holds the probers of a worker's running containers and their results. Probers run in
// their own goroutines on the manager's clock and poke the worker when a result flips.
type probeSet struct {
	w *worker

	mu   sync.Mutex
	ctx  context.Context // the worker's run context
	byID map[string]*containerProbes
	wg   sync.WaitGroup
}

// containerProbes are the results for one container run.
type containerProbes struct {
	cancel     context.CancelFunc
	started    bool // the startup probe succeeded (true without one)
	ready      bool // the readiness probe succeeds (true without one)
	killReason string
}

func newProbeSet(w *worker) *probeSet {
	return &probeSet{w: w, byID: map[string]*containerProbes{}}
}

// bind sets the context probers run under; the worker calls it when it starts.
func (ps *probeSet) bind(ctx context.Context) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.ctx = ctx
}

// ensure starts the probers of a running container that has none yet.
func (ps *probeSet) ensure(pod *corev1.Pod, c *corev1.Container, cs *cri.ContainerStatus) {
	if c.GetLivenessProbe() == nil && c.GetReadinessProbe() == nil && c.GetStartupProbe() == nil {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.byID[cs.ID]; ok || ps.ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(ps.ctx)
	cp := &containerProbes{cancel: cancel, started: c.GetStartupProbe() == nil, ready: c.GetReadinessProbe() == nil}
	ps.byID[cs.ID] = cp
	for kind, p := range map[probeKind]*corev1.Probe{liveness: c.GetLivenessProbe(), readiness: c.GetReadinessProbe(), startup: c.GetStartupProbe()} {
		if p == nil {
			continue
		}
		pr := &prober{ps: ps, kind: kind, probe: p, pod: pod, container: c, id: cs.ID, startedAt: cs.StartedAt, results: cp}
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			pr.run(ctx)
		}()
	}
}

// retain stops the probers of containers that no longer run.
func (ps *probeSet) retain(state *podState) {
	running := map[string]bool{}
	for _, runs := range state.containers {
		for _, c := range runs {
			if c.State == cri.ContainerRunning {
				running[c.ID] = true
			}
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for id, cp := range ps.byID {
		if !running[id] {
			cp.cancel()
			delete(ps.byID, id)
		}
	}
}

// drop stops the probers of one container.
func (ps *probeSet) drop(id string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if cp, ok := ps.byID[id]; ok {
		cp.cancel()
		delete(ps.byID, id)
	}
}

// stopAll stops every prober and waits for them.
func (ps *probeSet) stopAll() {
	ps.mu.Lock()
	for id, cp := range ps.byID {
		cp.cancel()
		delete(ps.byID, id)
	}
	ps.mu.Unlock()
	ps.wg.Wait()
}

// started reports whether the container's startup probe succeeded (true without one). A container
// with probes whose probers have not started yet is not started.
func (ps *probeSet) started(id string, c *corev1.Container) bool {
	if c.GetStartupProbe() == nil {
		return true
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cp, ok := ps.byID[id]
	return ok && cp.started
}

// ready reports whether the container's readiness probe succeeds (true without one).
func (ps *probeSet) ready(id string, c *corev1.Container) bool {
	if c.GetReadinessProbe() == nil {
		return true
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cp, ok := ps.byID[id]
	return ok && cp.ready
}

// livenessFailed reports whether the container must be killed: its liveness probe, or its startup
// probe, reached its failure threshold.
func (ps *probeSet) livenessFailed(id string) (string, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cp, ok := ps.byID[id]
	if !ok || cp.killReason == "" {
		return "", false
	}
	return cp.killReason, true
}

// prober runs one probe of one container run.
type prober struct {
	ps        *probeSet
	kind      probeKind
	probe     *corev1.Probe
	pod       *corev1.Pod
	container *corev1.Container
	id        string
	startedAt time.Time
	results   *containerProbes
}

func orDefault(v, def int32) int32 {
	if v <= 0 {
		return def
	}
	return v
}

// run probes every periodSeconds once initialDelaySeconds have passed since the container
// started; liveness and readiness wait for the startup probe. A result changes only after
// successThreshold successes or failureThreshold failures in a row.
func (p *prober) run(ctx context.Context) {
	clk := p.ps.w.m.clock
	period := time.Duration(orDefault(p.probe.GetPeriodSeconds(), 10)) * time.Second
	timeout := time.Duration(orDefault(p.probe.GetTimeoutSeconds(), 1)) * time.Second
	successes, failures := orDefault(p.probe.GetSuccessThreshold(), 1), orDefault(p.probe.GetFailureThreshold(), 3)
	delay := time.Duration(p.probe.GetInitialDelaySeconds()) * time.Second
	t := clk.NewTicker(period)
	defer t.Stop()
	okRun, failRun := int32(0), int32(0)
	for {
		if p.due(clk.Since(p.startedAt) >= delay) {
			ok, msg := p.ps.w.runProbe(ctx, p.pod, p.container, p.id, p.kind, p.probe, timeout)
			if ctx.Err() != nil {
				return
			}
			if ok {
				okRun, failRun = okRun+1, 0
			} else {
				okRun, failRun = 0, failRun+1
				p.ps.w.m.cfg.Recorder.Eventf(p.pod, events.TypeWarning, "Unhealthy", "%s probe failed: %s", p.kind, msg)
			}
			if okRun >= successes {
				p.set(true)
			}
			if failRun >= failures {
				p.set(false)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// due reports whether the probe runs this period.
func (p *prober) due(pastDelay bool) bool {
	p.ps.mu.Lock()
	defer p.ps.mu.Unlock()
	switch {
	case p.results.killReason != "":
		return false
	case p.kind == startup:
		return !p.results.started
	case !p.results.started:
		return false
	}
	return pastDelay
}

// set records a result and pokes the worker if it changed something it acts on.
func (p *prober) set(ok bool) {
	p.ps.mu.Lock()
	changed := false
	switch p.kind {
	case readiness:
		changed = p.results.ready != ok
		p.results.ready = ok
	case startup:
		if ok {
			changed = !p.results.started
			p.results.started = true
		} else if p.results.killReason == "" {
			p.results.killReason = fmt.Sprintf("Container %s failed startup probe", p.container.GetName())
			changed = true
		}
	case liveness:
		if !ok && p.results.killReason == "" {
			p.results.killReason = fmt.Sprintf("Container %s failed liveness probe", p.container.GetName())
			changed = true
		}
	}
	p.ps.mu.Unlock()
	if changed {
		p.ps.w.poke()
	}
}

// runProbe runs a probe once; ok false comes with a message saying why.
func (w *worker) runProbe(ctx context.Context, pod *corev1.Pod, c *corev1.Container, id string, _ probeKind, p *corev1.Probe, timeout time.Duration) (bool, string) {
	switch {
	case p.GetExec() != nil:
		return w.execAction(ctx, id, p.GetExec().GetCommand(), timeout)
	case p.GetHttpGet() != nil:
		return w.httpAction(ctx, c, p.GetHttpGet(), w.sandboxIP(), timeout)
	case p.GetTcpSocket() != nil:
		return w.tcpAction(ctx, c, p.GetTcpSocket(), w.sandboxIP(), timeout)
	}
	return false, fmt.Sprintf("probe of container %s in pod %s has no supported handler", c.GetName(), podName(pod))
}

func (w *worker) execAction(ctx context.Context, id string, cmd []string, timeout time.Duration) (bool, string) {
	res, err := w.m.rt.ExecSync(ctx, id, cmd, timeout)
	if err != nil {
		return false, err.Error()
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(string(res.Stdout) + string(res.Stderr))
		return false, fmt.Sprintf("command %q exited with %d: %s", strings.Join(cmd, " "), res.ExitCode, out)
	}
	return true, ""
}

// probeHost is the address probes and hooks reach by default: the pod's IP, else the node's.
func (w *worker) probeHost(host, podIP string) string {
	switch {
	case host != "":
		return host
	case podIP != "":
		return podIP
	case w.m.cfg.NodeIP != "":
		return w.m.cfg.NodeIP
	}
	return "127.0.0.1"
}

// resolvePort turns a probe's port (a number, or the name of one of c's ports) into a number.
func resolvePort(port *metav1.IntOrString, c *corev1.Container) (int, error) {
	if port.GetType() == 0 {
		if port.GetIntVal() <= 0 || port.GetIntVal() > 65535 {
			return 0, fmt.Errorf("invalid port %d", port.GetIntVal())
		}
		return int(port.GetIntVal()), nil
	}
	name := port.GetStrVal()
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	for _, p := range c.GetPorts() {
		if p.GetName() == name {
			return int(p.GetContainerPort()), nil
		}
	}
	return 0, fmt.Errorf("couldn't find port %q in container %s", name, c.GetName())
}

// httpAction GETs the action's URL: a status from 200 to 399 succeeds. Redirects are not followed.
func (w *worker) httpAction(ctx context.Context, c *corev1.Container, a *corev1.HTTPGetAction, podIP string, timeout time.Duration) (bool, string) {
	port, err := resolvePort(a.GetPort(), c)
	if err != nil {
		return false, err.Error()
	}
	scheme := strings.ToLower(a.GetScheme())
	if scheme == "" {
		scheme = "http"
	}
	path := a.GetPath()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(w.probeHost(a.GetHost(), podIP), strconv.Itoa(port))}
	u, err = u.Parse(path)
	if err != nil {
		return false, fmt.Sprintf("bad probe path %q: %v", a.GetPath(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/keelson")
	req.Header.Set("Accept", "*/*")
	for _, h := range a.GetHttpHeaders() {
		if strings.EqualFold(h.GetName(), "Host") {
			req.Host = h.GetValue()
			continue
		}
		req.Header.Set(h.GetName(), h.GetValue())
	}
	client := &http.Client{
		Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // probes do not verify, as in Kubernetes
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Sprintf("Get %q: %v", u.String(), errors.Unwrap(err))
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return true, ""
	}
	return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
}

// tcpAction succeeds when a TCP connection opens within the timeout.
func (w *worker) tcpAction(ctx context.Context, c *corev1.Container, a *corev1.TCPSocketAction, podIP string, timeout time.Duration) (bool, string) {
	port, err := resolvePort(a.GetPort(), c)
	if err != nil {
		return false, err.Error()
	}
	addr := net.JoinHostPort(w.probeHost(a.GetHost(), podIP), strconv.Itoa(port))
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Sprintf("dial tcp %s: %v", addr, err)
	}
	_ = conn.Close()
	return true, ""
}
