package rest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

const (
	// kubeletDialTimeout bounds connecting to a kubelet; kubeletHeaderTimeout bounds waiting for its
	// answer to begin. Nothing bounds the body: a followed log streams for as long as the client stays.
	kubeletDialTimeout   = 10 * time.Second
	kubeletHeaderTimeout = 30 * time.Second
	// maxKubeletErrorBytes is how much of a kubelet's error answer is read into the error returned.
	maxKubeletErrorBytes = 64 << 10
)

// kubeletAddressTypes is the order in which a Node's addresses are tried to reach its kubelet.
var kubeletAddressTypes = []string{"InternalIP", "Hostname", "InternalDNS", "ExternalIP", "ExternalDNS"}

var nodesGVR = scheme.GroupVersionResource{Version: "v1", Resource: "nodes"}

// podLog serves GET pods/<name>/log as Kubernetes does: it reads the pod, picks the container, finds
// the kubelet of the pod's node from the Node's addresses and kubelet port, and streams what the
// kubelet serves at /containerLogs/<namespace>/<pod>/<container> back as text/plain, flushed chunk by
// chunk when following. The stream ends when the kubelet closes it, the client goes away or the
// server drains. A pod with no node yet has an empty log, as in Kubernetes. A kubelet that cannot be
// reached, or answers with an error, is a ServiceUnavailable naming the node and the endpoint; a
// kubelet's own Status answer is passed through.
func (h *Handler) podLog(w http.ResponseWriter, r *http.Request, req *request) {
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/log", methodVerb(r)))
		return
	}
	if req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/log", "list"))
		return
	}
	opts, err := parsePodLogOptions(req.name, r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	// insecureSkipTLSVerifyBackend is read, so a value that is no boolean is refused like any other,
	// but never obeyed: a kubelet's certificate is always checked when kubelets are reached over
	// HTTPS, so that a forged Node address cannot point the API server elsewhere.
	if _, err := queryBool(r.URL.Query(), "insecureSkipTLSVerifyBackend"); err != nil {
		writeError(w, err)
		return
	}
	obj, err := req.store.Get(r.Context(), req.namespace, req.name, registry.GetOptions{})
	if err != nil {
		writeError(w, err)
		return
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		writeError(w, apierrors.NewInternal(fmt.Errorf("pods store returned a %T", obj)))
		return
	}
	container, err := logContainer(pod, r.URL.Query().Get("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	nodeName := pod.GetSpec().GetNodeName()
	if nodeName == "" {
		// Kubernetes answers an empty log for a pod that is not scheduled yet.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return
	}
	endpoint, err := h.kubeletEndpoint(r.Context(), nodeName)
	if err != nil {
		writeError(w, err)
		return
	}
	loc := kubeletapi.ContainerLogsURL(endpoint,
		kubeletapi.ContainerRef{Namespace: req.namespace, Pod: req.name, Container: container}, opts)
	if h.kubeletHTTPS {
		loc.Scheme = "https"
	}
	h.streamLog(w, r, nodeName, loc, opts.Follow)
}

// streamLog proxies GET loc to the kubelet of node and copies its answer to w.
func (h *Handler) streamLog(w http.ResponseWriter, r *http.Request, node string, loc *url.URL, follow bool) {
	flusher, ok := w.(http.Flusher)
	if follow && !ok {
		writeError(w, apierrors.NewInternal(errors.New("the response writer cannot flush; a followed log needs a streaming connection")))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	var wg sync.WaitGroup
	// Cancelling ends the kubelet request, which ends the copy below; then the drain watcher stops.
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-h.reg.Draining():
			cancel()
		case <-ctx.Done():
		}
	}()

	kreq, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		writeError(w, apierrors.NewInternal(fmt.Errorf("build the kubelet request for node %q: %w", node, err)))
		return
	}
	resp, err := h.kubelets.Do(kreq)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away; nobody reads an answer
		}
		var unknownCA x509.UnknownAuthorityError
		var invalid x509.CertificateInvalidError
		var badHost x509.HostnameError
		if errors.As(err, &unknownCA) || errors.As(err, &invalid) || errors.As(err, &badHost) {
			writeError(w, apierrors.NewServiceUnavailable(fmt.Sprintf(
				"refusing the kubelet of node %q at %s: its serving certificate does not verify against the kubelet certificate authority: %v",
				node, loc.Host, err)))
			return
		}
		writeError(w, apierrors.NewServiceUnavailable(fmt.Sprintf(
			"unable to reach the kubelet of node %q at %s: %v", node, loc.Host, err)))
		return
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		writeKubeletError(w, resp, node, loc)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	if follow {
		flusher.Flush()
	}
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return
			}
			if follow {
				flusher.Flush()
			}
		}
		if rerr != nil {
			// The status line is sent: a broken stream can only end. EOF is the kubelet closing it.
			if !errors.Is(rerr, io.EOF) && ctx.Err() == nil {
				h.lg.Debug("pod log stream from the kubelet broke", zap.String("node", node),
					zap.String("url", loc.String()), zap.Error(rerr))
			}
			return
		}
	}
}

// writeKubeletError answers for a kubelet that answered resp, a non-2xx: its Status body as it is;
// a 400 as a BadRequest with the kubelet's words (a container that has not started, say), as
// Kubernetes does; anything else as ServiceUnavailable naming the node, the endpoint and the answer.
func writeKubeletError(w http.ResponseWriter, resp *http.Response, node string, loc *url.URL) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxKubeletErrorBytes))
	if err != nil {
		writeError(w, apierrors.NewServiceUnavailable(fmt.Sprintf(
			"the kubelet of node %q at %s answered %s and its body could not be read: %v", node, loc.Host, resp.Status, err)))
		return
	}
	var st struct {
		Kind string `json:"kind"`
		Code int    `json:"code"`
	}
	if json.Unmarshal(body, &st) == nil && st.Kind == "Status" {
		code := resp.StatusCode
		if code < 400 {
			code = st.Code
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write(body)
		return
	}
	text := strings.TrimSpace(string(body))
	if resp.StatusCode == http.StatusBadRequest && text != "" {
		writeError(w, apierrors.NewBadRequest("%s", text))
		return
	}
	msg := fmt.Sprintf("the kubelet of node %q at %s answered %s for %s", node, loc.Host, resp.Status, loc.Path)
	if text != "" {
		msg += ": " + text
	}
	writeError(w, apierrors.NewServiceUnavailable(msg))
}

// newKubeletClient returns the client log requests reach kubelets with. Keep-alives are off so that
// nothing is left running once a request is done; redirects are answers, not followed, as
// Kubernetes refuses a kubelet's redirect. Proxies from the environment are not used: the kubelet
// is dialled directly.
// With tlsCfg the kubelets are reached over HTTPS with it.
func newKubeletClient(tlsCfg *tls.Config) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:        tlsCfg,
			DialContext:            (&net.Dialer{Timeout: kubeletDialTimeout}).DialContext,
			ResponseHeaderTimeout:  kubeletHeaderTimeout,
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// WithKubeletTLS makes pods/log reach kubelets over HTTPS with cfg: its RootCAs are what a
// kubelet's serving certificate must chain to, its certificate the API server's client
// certificate. It returns h.
func (h *Handler) WithKubeletTLS(cfg *tls.Config) *Handler {
	h.kubelets, h.kubeletHTTPS = newKubeletClient(cfg), true
	return h
}

// kubeletEndpoint returns host:port of the kubelet on the named node: its first address in
// kubeletAddressTypes order, and status.daemonEndpoints.kubeletEndpoint.port or 10250.
func (h *Handler) kubeletEndpoint(ctx context.Context, nodeName string) (string, error) {
	nodes, err := h.reg.Store(nodesGVR)
	if err != nil {
		return "", err
	}
	obj, err := nodes.Get(ctx, "", nodeName, registry.GetOptions{})
	if err != nil {
		return "", err
	}
	node, ok := obj.(*corev1.Node)
	if !ok {
		return "", apierrors.NewInternal(fmt.Errorf("nodes store returned a %T", obj))
	}
	addrs := node.GetStatus().GetAddresses()
	host := ""
	for _, t := range kubeletAddressTypes {
		for _, a := range addrs {
			if a.GetType() == t && a.GetAddress() != "" {
				host = a.GetAddress()
				break
			}
		}
		if host != "" {
			break
		}
	}
	if host == "" {
		known := make([]string, 0, len(addrs))
		for _, a := range addrs {
			known = append(known, a.GetType()+"="+a.GetAddress())
		}
		return "", apierrors.NewServiceUnavailable(fmt.Sprintf(
			"no address to reach the kubelet of node %q: no preferred addresses found (%s); known addresses: %v",
			nodeName, strings.Join(kubeletAddressTypes, ", "), known))
	}
	port := node.GetStatus().GetDaemonEndpoints().GetKubeletEndpoint().GetPort()
	if port == 0 {
		port = kubeletapi.DefaultPort
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port))), nil
}

// logContainer picks the container whose log is asked for, with Kubernetes' rules and messages: the
// named one, which must be a container or init container of the pod, or else the pod's only
// container.
func logContainer(pod *corev1.Pod, name string) (string, error) {
	spec := pod.GetSpec()
	podName := pod.GetMetadata().GetName()
	if name == "" {
		switch cs := spec.GetContainers(); len(cs) {
		case 1:
			return cs[0].GetName(), nil
		case 0:
			return "", apierrors.NewBadRequest("a container name must be specified for pod %s", podName)
		default:
			msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", podName, containerNames(cs))
			if ics := spec.GetInitContainers(); len(ics) > 0 {
				msg += fmt.Sprintf(" or one of the init containers: %s", containerNames(ics))
			}
			return "", apierrors.NewBadRequest("%s", msg)
		}
	}
	for _, cs := range [][]*corev1.Container{spec.GetContainers(), spec.GetInitContainers()} {
		for _, c := range cs {
			if c.GetName() == name {
				return name, nil
			}
		}
	}
	return "", apierrors.NewBadRequest("container %s is not valid for pod %s", name, podName)
}

// containerNames returns the names of cs.
func containerNames(cs []*corev1.Container) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.GetName())
	}
	return out
}

// parsePodLogOptions reads the kubelet's log options from the query of a log request for the named
// pod: a value that is not a number or a time is a BadRequest; numbers out of range, or both
// sinceSeconds and sinceTime, are an Invalid PodLogOptions naming each bad parameter, with
// Kubernetes' messages.
func parsePodLogOptions(podName string, q url.Values) (*kubeletapi.LogOptions, error) {
	o, err := kubeletapi.ParseLogOptions(q)
	var pe *kubeletapi.ParamError
	if errors.As(err, &pe) {
		return nil, apierrors.NewBadRequest("%s", pe.Error())
	}
	var invalid *field.AggregateError
	if errors.As(err, &invalid) {
		causes := make([]apierrors.Cause, 0, len(invalid.Errs))
		for _, e := range invalid.Errs {
			causes = append(causes, apierrors.Cause{Type: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
		}
		return nil, apierrors.NewInvalid("", "PodLogOptions", podName, causes)
	}
	if err != nil {
		return nil, apierrors.NewBadRequest("%s", err.Error())
	}
	return o, nil
}
