// Package process is the kubelet's default container runtime: every container is a host process
// in its own cgroup, and every sandbox is a directory of state plus the pod's cgroup and log
// directory, on the host network (the pod IP is the node IP).
//
// Each container runs under a small monitor (RunMonitor): the keelson-kubelet-monitor binary
// installed next to the kubelet's, or else the kubelet binary re-executed with the hidden
// "monitor" subcommand, detached in its own session so that it outlives a kubelet restart or
// crash. The monitor starts the container's process inside the container's cgroup
// with stdout and stderr piped into the CRI log writer (which rotates the file by size by itself),
// waits for it, and records its exit code, finish time and whether the cgroup saw an OOM kill.
// Everything the runtime knows lives in files under its root, written atomically:
//
//	<root>/sandboxes/<id>/sandbox.json   the sandbox (written by the runtime)
//	<root>/containers/<id>/config.json   the container's definition (runtime)
//	<root>/containers/<id>/started.json  monitor and process PIDs, start time (monitor)
//	<root>/containers/<id>/exit.json     exit code, signal, OOM, finish time (monitor)
//	<root>/containers/<id>/monitor.log   the monitor's own diagnostics
//
// so a new Runtime on the same root lists the same sandboxes and containers (same IDs, same
// running PIDs) and reports exits that happened while no kubelet ran.
//
// Monitors move themselves into one shared cgroup (Options.MonitorCgroup) so that stopping the
// kubelet's own cgroup, as systemd does when it stops the kubelet's unit, does not take them along.
//
// Signals: StopContainer sends SIGTERM to the container's process group directly (the process
// leads its own group), and SIGKILL to every process in the container's cgroup; the monitor sees
// the exit through wait(2) and records it. The monitor also forwards a SIGTERM or SIGINT it
// receives itself to the process group, and reopens the log file on SIGHUP.
//
// The monitor starts in two steps, like conmon: "monitor start <dir>" (a child of the kubelet)
// spawns "monitor run <dir>" in a new session, waits until that has started the process (or
// failed to), and exits, so the monitor is never the kubelet's child and needs no reaping. Nothing
// polls: "run" closes a pipe "start" reads once the start is on record, and "start" exits then.
package process

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/cgroups"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/logs"
	"github.com/keelson-dev/keelson/pkg/version"
)

// RuntimeName is the runtime's name in the node's containerRuntimeVersion.
const RuntimeName = "process"

// DefaultRoot is where the runtime keeps its state unless told otherwise.
const DefaultRoot = "/var/lib/keelson/kubelet/process"

// DefaultMonitorCgroup is the cgroup the monitors live in unless told otherwise.
const DefaultMonitorCgroup = "keelson-monitors"

// Options configure a Runtime. The zero value of each field means its default.
type Options struct {
	// Root is the state directory (default DefaultRoot).
	Root string
	// CgroupRoot is where the cgroup file systems are mounted (default /sys/fs/cgroup).
	CgroupRoot string
	// CgroupPrefix is prepended to every sandbox's cgroup parent, so several kubelets (or tests)
	// on one machine keep their cgroups apart. Empty by default.
	CgroupPrefix string
	// MonitorCgroup is the cgroup, below CgroupPrefix, that monitors move into, so that stopping
	// the kubelet's own cgroup (a systemd unit's, say) leaves them running (default
	// "keelson-monitors"; "-" keeps them in the kubelet's cgroup).
	MonitorCgroup string
	// PodIP is every sandbox's IP: the node's address (default 127.0.0.1).
	PodIP string
	// MonitorCommand starts the monitor; RunMonitor receives what follows it. The default is
	// MonitorBinary when it lies next to the running binary, else the running binary and its
	// hidden subcommand: [os.Executable(), "monitor"].
	MonitorCommand []string
	// LogMaxSize and LogMaxFiles are --container-log-max-size and --container-log-max-files
	// (defaults logs.DefaultMaxSize and logs.DefaultMaxFiles).
	LogMaxSize  int64
	LogMaxFiles int
}

// MonitorBinary is the dedicated monitor binary, installed next to keelson-kubelet. Starting it
// costs a fraction of starting the kubelet binary (which links and initialises the whole
// kubelet), and a node starts it three times per container: launcher, monitor, exec helper.
const MonitorBinary = "keelson-kubelet-monitor"

// defaultMonitorCommand is MonitorBinary next to the running binary if it is there, else the
// running binary's hidden "monitor" subcommand.
func defaultMonitorCommand() ([]string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("process runtime: find the kubelet binary for the monitor: %w", err)
	}
	return monitorCommandFor(exe), nil
}

// monitorCommandFor is the default monitor command of the binary exe.
func monitorCommandFor(exe string) []string {
	if dedicated := filepath.Join(filepath.Dir(exe), MonitorBinary); executable(dedicated) == nil {
		return []string{dedicated}
	}
	return []string{exe, "monitor"}
}

// Runtime is the process runtime. It implements cri.Runtime; every method is safe for
// concurrent use, and several Runtimes (one at a time or not) may share a root.
type Runtime struct {
	opts    Options
	cgroups *cgroups.Manager

	// podLocks order container creation against a sandbox's stop and removal, per pod cgroup
	// (the sandboxes of one pod share it), striped: pods start and stop in parallel.
	podLocks [64]sync.Mutex

	// containerIDs and sandboxIDs cache the listings of the state directories (see cache.go).
	containerIDs, sandboxIDs dirIndex

	// recordsMu guards the caches of the state files (see cache.go), so that neither listing with
	// a label selector (every pod worker's sync does) nor the relister's listing of the whole node
	// (every relist period) reads and decodes the files of every container and sandbox.
	recordsMu  sync.RWMutex
	containers map[string]*containerRecord // by ID: config.json never changes
	runs       map[string]runRecords       // by container ID: started.json and exit.json, once written
	sandboxes  map[string]*cachedSandbox   // by ID: sandbox.json, as of the file's identity
}

var _ cri.Runtime = (*Runtime)(nil)

// New returns a Runtime over opts.Root, creating the directory, and detecting the cgroup version.
func New(opts Options) (*Runtime, error) {
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	if opts.CgroupRoot == "" {
		opts.CgroupRoot = cgroups.DefaultRoot
	}
	switch opts.MonitorCgroup {
	case "":
		opts.MonitorCgroup = path.Join(opts.CgroupPrefix, DefaultMonitorCgroup)
	case "-":
		opts.MonitorCgroup = ""
	default:
		opts.MonitorCgroup = path.Join(opts.CgroupPrefix, opts.MonitorCgroup)
	}
	if opts.PodIP == "" {
		opts.PodIP = "127.0.0.1"
	}
	if len(opts.MonitorCommand) == 0 {
		cmd, err := defaultMonitorCommand()
		if err != nil {
			return nil, err
		}
		opts.MonitorCommand = cmd
	}
	if opts.LogMaxSize == 0 {
		opts.LogMaxSize = logs.DefaultMaxSize
	}
	if opts.LogMaxFiles == 0 {
		opts.LogMaxFiles = logs.DefaultMaxFiles
	}
	abs, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("process runtime: root %s: %w", opts.Root, err)
	}
	opts.Root = abs
	for _, d := range []string{sandboxesDir, containerDir} {
		if err := os.MkdirAll(filepath.Join(opts.Root, d), 0o750); err != nil {
			return nil, fmt.Errorf("process runtime: %w", err)
		}
	}
	cg, err := cgroups.New(opts.CgroupRoot)
	if err != nil {
		return nil, fmt.Errorf("process runtime: %w", err)
	}
	return &Runtime{
		opts: opts, cgroups: cg,
		containers: map[string]*containerRecord{}, runs: map[string]runRecords{}, sandboxes: map[string]*cachedSandbox{},
	}, nil
}

// Version implements cri.Runtime.
func (r *Runtime) Version(context.Context) (cri.VersionInfo, error) {
	return cri.VersionInfo{RuntimeName: RuntimeName, RuntimeVersion: version.Get().GitVersion}, nil
}

func (r *Runtime) sandboxDir(id string) string   { return filepath.Join(r.opts.Root, sandboxesDir, id) }
func (r *Runtime) containerDir(id string) string { return filepath.Join(r.opts.Root, containerDir, id) }

// validID refuses IDs that could name a path outside the state directory.
func validID(id string) error {
	if id == "" || id != filepath.Base(id) || id == "." || id == ".." {
		return fmt.Errorf("invalid ID %q: %w", id, cri.ErrNotFound)
	}
	return nil
}

// podLock is the lock of the pod whose cgroup (a sandbox's) is cgroup.
func (r *Runtime) podLock(cgroup string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(cgroup))
	return &r.podLocks[h.Sum32()%uint32(len(r.podLocks))]
}

// matchLabels reports whether labels hold every pair of sel.
func matchLabels(labels, sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// toResources converts CRI limits to cgroup limits.
func toResources(l *cri.LinuxResources) *cgroups.Resources {
	if l == nil {
		return nil
	}
	return &cgroups.Resources{CPUPeriod: l.CPUPeriod, CPUQuota: l.CPUQuota, CPUShares: l.CPUShares, MemoryLimitBytes: l.MemoryLimitBytes}
}

// waitFor polls cond every interval until it holds (true), or ctx or the deadline ends (false).
func waitFor(ctx context.Context, deadline time.Duration, cond func() bool) bool {
	const interval = 10 * time.Millisecond
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return cond()
		case <-ticker.C:
		}
	}
	return true
}
