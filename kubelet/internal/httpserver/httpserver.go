// Package httpserver is the kubelet's API on --port (10250), as Kubernetes' kubelet serves it:
//
//	GET    /healthz, /livez, /readyz          health
//	GET    /metrics                           Prometheus metrics
//	GET    /pods                              the node's desired pods as a v1 PodList (JSON)
//	GET    /containerLogs/{ns}/{pod}/{container}?follow&tailLines&sinceSeconds&sinceTime&timestamps&previous&limitBytes
//	POST   /manifests                         add static pods: a manifest (YAML or JSON; a pod, a v1
//	                                          List or PodList, or several YAML documents) in the body
//	DELETE /manifests/{namespace}/{name}      remove a posted static pod (its name with the -<node> suffix)
//
// The apiserver proxies pods/log here. Errors are plain text: 404 names the pod or container that
// is missing, 400 the bad option or manifest field.
package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// PodLister lists the pods the node runs (or is to run).
type PodLister interface {
	Pods() []*corev1.Pod
}

// LogReader writes a container's log to w as opts ask. It returns an error wrapping
// cri.ErrNotFound when the container has no log (never ran, or no previous instance), and
// returns when the log ends or, with opts.Follow, when ctx ends.
type LogReader interface {
	ContainerLogs(ctx context.Context, ref kubeletapi.ContainerRef, opts *kubeletapi.LogOptions, w io.Writer) error
}

// Manifests takes posted static pods; *podsource.Posted is one.
type Manifests interface {
	Post(data []byte) ([]*corev1.Pod, error)
	Remove(namespace, name string) bool
}

// Config is what the handler serves.
type Config struct {
	NodeName string
	Pods     PodLister
	// Logs reads container logs; nil while no container runtime is wired, which /containerLogs
	// answers with 501.
	Logs      LogReader
	Manifests Manifests
	// Report is told about refused manifests (it logs and records an Event).
	Report  podsource.Reporter
	Metrics prometheus.Gatherer
	Scheme  *scheme.Scheme
	Logger  *zap.Logger
}

type server struct {
	cfg     Config
	podKind *scheme.Kind
}

// NewHandler returns the kubelet API's handler.
func NewHandler(cfg Config) (http.Handler, error) {
	k, ok := cfg.Scheme.ByKind(scheme.GroupVersionKind{Version: "v1", Kind: "Pod"})
	if !ok {
		return nil, errors.New("kubelet API: the scheme has no v1 Pod")
	}
	s := &server{cfg: cfg, podKind: k}
	mux := http.NewServeMux()
	if err := healthz.Install(mux, healthz.Config{Live: []healthz.Check{healthz.Ping()}, Metrics: cfg.Metrics}); err != nil {
		return nil, err
	}
	mux.HandleFunc("GET /pods", s.pods)
	mux.HandleFunc("GET "+kubeletapi.ContainerLogsPrefix, s.containerLogs)
	mux.HandleFunc("POST /manifests", s.postManifest)
	mux.HandleFunc("DELETE /manifests/{namespace}/{name}", s.deleteManifest)
	return mux, nil
}

func (s *server) pods(w http.ResponseWriter, _ *http.Request) {
	items := make([]json.RawMessage, 0)
	for _, p := range s.cfg.Pods.Pods() {
		b, err := kubejson.ToJSON(s.podKind, p, false)
		if err != nil {
			http.Error(w, fmt.Sprintf("encode pod %s: %v", podsource.FullName(p), err), http.StatusInternalServerError)
			return
		}
		items = append(items, b)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "PodList", "apiVersion": "v1", "metadata": map[string]any{}, "items": items,
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing left to tell it
}

func (s *server) containerLogs(w http.ResponseWriter, r *http.Request) {
	ref, err := kubeletapi.ParseContainerLogsPath(r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	opts, err := kubeletapi.ParseLogOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pod := s.findPod(ref.Namespace, ref.Pod)
	if pod == nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on node %s", ref.Namespace, ref.Pod, s.cfg.NodeName), http.StatusNotFound)
		return
	}
	if !hasContainer(pod, ref.Container) {
		http.Error(w, fmt.Sprintf("container %s not found in pod %s/%s", ref.Container, ref.Namespace, ref.Pod), http.StatusNotFound)
		return
	}
	if s.cfg.Logs == nil {
		http.Error(w, "container logs need a container runtime, and none is running on this node", http.StatusNotImplemented)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fw := &flushWriter{w: w}
	if f, ok := w.(http.Flusher); ok && opts.Follow {
		fw.flush = f
	}
	if err := s.cfg.Logs.ContainerLogs(r.Context(), ref, opts, fw); err != nil {
		switch {
		case fw.wrote:
			s.cfg.Logger.Info("container log stream ended", zap.Stringer("container", ref), zap.Error(err))
		case errors.Is(err, cri.ErrNotFound):
			http.Error(w, fmt.Sprintf("container %s: %v", ref, err), http.StatusNotFound)
		default:
			http.Error(w, fmt.Sprintf("container %s: %v", ref, err), http.StatusInternalServerError)
		}
	}
}

// flushWriter flushes after each write when following, so a log line reaches the client at once.
type flushWriter struct {
	w     io.Writer
	flush http.Flusher
	wrote bool
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.wrote = f.wrote || n > 0
	if f.flush != nil {
		f.flush.Flush()
	}
	return n, err
}

func (s *server) findPod(namespace, name string) *corev1.Pod {
	for _, p := range s.cfg.Pods.Pods() {
		if p.GetMetadata().GetNamespace() == namespace && p.GetMetadata().GetName() == name {
			return p
		}
	}
	return nil
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, list := range [][]*corev1.Container{pod.GetSpec().GetContainers(), pod.GetSpec().GetInitContainers()} {
		for _, c := range list {
			if c.GetName() == name {
				return true
			}
		}
	}
	return false
}

type postedPod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

func (s *server) postManifest(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 10<<20))
	if err != nil {
		http.Error(w, "read manifest: "+err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	pods, err := s.cfg.Manifests.Post(data)
	if err != nil {
		origin := "posted by " + r.RemoteAddr
		if s.cfg.Report != nil {
			s.cfg.Report.BadManifest(origin, err)
		}
		http.Error(w, strings.TrimSpace(err.Error()), http.StatusBadRequest)
		return
	}
	out := make([]postedPod, 0, len(pods))
	for _, p := range pods {
		out = append(out, postedPod{Namespace: p.Metadata.Namespace, Name: p.Metadata.Name, UID: p.Metadata.Uid})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"pods": out})
}

func (s *server) deleteManifest(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if !s.cfg.Manifests.Remove(ns, name) {
		http.Error(w, fmt.Sprintf("no posted pod %s/%s", ns, name), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}
