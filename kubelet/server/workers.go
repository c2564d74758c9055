package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/logs"
	"github.com/keelson-dev/keelson/kubelet/internal/pods"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/process"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/resource"
)

// Runtimes --runtime names.
const (
	RuntimeProcess = process.RuntimeName
	RuntimeHollow  = hollow.RuntimeName
)

// podWorkers joins a pod manager to the runtime it drives, for the node agent (the desired set)
// and the kubelet API (container logs).
type podWorkers struct {
	*pods.Manager
	rt cri.Runtime
}

// ContainerLogs writes a container's log as opts ask. A follower of the current run keeps
// reading until the container stops running or ctx ends.
func (w podWorkers) ContainerLogs(ctx context.Context, ref kubeletapi.ContainerRef, opts *kubeletapi.LogOptions, out io.Writer) error {
	lr, err := w.ContainerLog(ref.Namespace, ref.Pod, ref.Container, opts.Previous)
	if err != nil {
		return err
	}
	running := func() bool {
		if opts.Previous {
			return false
		}
		st, err := w.rt.ContainerStatus(ctx, lr.ContainerID)
		return err == nil && st.State == cri.ContainerRunning
	}
	return logs.Read(ctx, lr.Path, opts, out, running)
}

// newRuntime builds the container runtime --runtime names for a node whose pods get nodeIP.
func (s *Server) newRuntime(nodeIP string) (cri.Runtime, error) {
	switch s.cfg.Runtime {
	case RuntimeHollow:
		return hollow.New(s.clock), nil
	case RuntimeProcess:
		maxSize, err := resource.Parse(s.cfg.ContainerLogMaxSize)
		if err != nil {
			return nil, fmt.Errorf("--container-log-max-size: %w", err)
		}
		return process.New(process.Options{
			Root:         filepath.Join(s.cfg.RootDir, "process"),
			CgroupPrefix: s.cfg.CgroupRoot,
			PodIP:        nodeIP,
			LogMaxSize:   maxSize.Value(),
			LogMaxFiles:  s.cfg.ContainerLogMaxFiles,
		})
	default:
		return nil, fmt.Errorf("--runtime: unknown runtime %q (want %s or %s)", s.cfg.Runtime, RuntimeProcess, RuntimeHollow)
	}
}

// workerDeps is what every node's pod workers of this kubelet share.
type workerDeps struct {
	client       *client.Client
	objects      pods.Objects
	recorder     *events.Recorder
	sourcesReady func() bool
}

// newPodWorkers builds the pod manager of node name over rt. Metrics go to the kubelet's registry
// for its one real node; hollow nodes (many per process) register none.
func (s *Server) newPodWorkers(name, nodeIP string, rt cri.Runtime, d workerDeps, allocatable map[string]string, withMetrics bool, lg *zap.Logger) (podWorkers, error) {
	cfg := pods.Config{
		Runtime: rt, Client: d.client, Objects: d.objects, NodeName: name, NodeIP: nodeIP, NodeAllocatable: allocatable,
		Clock: s.clock, Logger: lg.Named("pods"), Recorder: d.recorder,
		PodLogRoot: s.cfg.PodLogsDir, SourcesReady: d.sourcesReady,
		RelistPeriod: s.cfg.RelistPeriod,
	}
	if withMetrics {
		cfg.Metrics = s.registry
	}
	if s.cfg.Runtime == RuntimeProcess {
		// Only a runtime that runs something mounts the projected service account volumes.
		cfg.VolumeRoot = filepath.Join(s.cfg.RootDir, "pods")
	}
	m, err := pods.New(cfg)
	if err != nil {
		return podWorkers{}, fmt.Errorf("pod workers of node %s: %w", name, err)
	}
	return podWorkers{Manager: m, rt: rt}, nil
}

// defaultWorkers builds the real node's runtime and pod workers unless UsePodWorkers set them,
// and returns what must run for them.
func (s *Server) defaultWorkers(c *client.Client, factory *informer.Factory, apiPods *podsource.APIPods, recorder *events.Recorder) ([]func(context.Context) error, error) {
	if s.workers != nil {
		return nil, nil
	}
	rt, err := s.newRuntime(s.nodeIP)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.cfg.PodLogsDir, 0o755); err != nil {
		return nil, fmt.Errorf("--pod-logs-dir: %w", err)
	}
	w, err := s.newPodWorkers(s.nodeName, s.nodeIP, rt, workerDeps{
		client: c, objects: pods.NewCachedObjects(c, factory), recorder: recorder, sourcesReady: apiPods.HasSynced,
	}, s.nodeAllocatable(s.machine(), s.nodeIP), true, s.lg)
	if err != nil {
		return nil, err
	}
	s.UsePodWorkers(w, rt)
	return []func(context.Context) error{w.Run}, nil
}
