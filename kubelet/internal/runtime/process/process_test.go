package process

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cgroups"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/logs"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// env is one test's runtime with its own state directory, log directory and cgroup prefix. When
// the test ends every sandbox is removed and the test fails if a process or a cgroup is left.
type env struct {
	t      *testing.T
	rt     *Runtime
	opts   Options
	logDir string
	cg     *cgroups.Manager
}

func newEnv(t *testing.T, tune ...func(*Options)) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the process runtime needs root for cgroups")
	}
	cg, err := cgroups.New("")
	require.NoError(t, err)
	exe, err := os.Executable()
	require.NoError(t, err)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	opts := Options{
		Root:           t.TempDir(),
		CgroupPrefix:   "keelson-test-" + hex.EncodeToString(b),
		PodIP:          "127.0.0.9",
		MonitorCommand: []string{exe, "monitor"},
	}
	for _, f := range tune {
		f(&opts)
	}
	rt, err := New(opts)
	require.NoError(t, err)
	e := &env{t: t, rt: rt, opts: rt.opts, logDir: t.TempDir(), cg: cg}
	t.Cleanup(e.cleanup)
	return e
}

// cleanup removes everything the test made and checks nothing is left.
func (e *env) cleanup() {
	t := e.t
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sbs, err := e.rt.ListPodSandbox(ctx, nil)
	require.NoError(t, err)
	var monitors []startedRecord
	ctrs, err := e.rt.ListContainers(ctx, nil)
	require.NoError(t, err)
	for _, c := range ctrs {
		if st := e.rt.state(c.ID); st.started != nil {
			monitors = append(monitors, *st.started)
		}
	}
	for _, s := range sbs {
		require.NoError(t, e.rt.RemovePodSandbox(ctx, s.ID))
	}
	ctrs, err = e.rt.ListContainers(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, ctrs)
	for _, m := range monitors {
		require.Eventually(t, func() bool { return !alive(m.MonitorPID, m.MonitorStartTime) && !alive(m.PID, m.PIDStartTime) },
			10*time.Second, 10*time.Millisecond, "monitor %d or process %d still running", m.MonitorPID, m.PID)
	}
	require.NoError(t, e.cg.Remove(ctx, e.opts.CgroupPrefix))
	dirs, err := e.cg.Dirs(e.opts.CgroupPrefix)
	require.NoError(t, err)
	for _, d := range dirs {
		require.NoDirExists(t, d)
	}
}

// sandbox runs a sandbox for a pod named name.
func (e *env) sandbox(name string, res *cri.LinuxResources) (string, *cri.PodSandboxConfig) {
	e.t.Helper()
	cfg := &cri.PodSandboxConfig{
		Metadata:     cri.PodSandboxMetadata{Name: name, Namespace: "default", UID: "uid-" + name},
		LogDirectory: filepath.Join(e.logDir, "default_"+name),
		CgroupParent: "kubepods/burstable/poduid-" + name,
		Labels:       map[string]string{cri.LabelPodName: name},
		Resources:    res,
	}
	id, err := e.rt.RunPodSandbox(context.Background(), cfg)
	require.NoError(e.t, err)
	return id, cfg
}

// container creates and starts a container running argv.
func (e *env) container(sandboxID string, sb *cri.PodSandboxConfig, name string, res *cri.LinuxResources, argv ...string) string {
	e.t.Helper()
	ctx := context.Background()
	id, err := e.rt.CreateContainer(ctx, sandboxID, &cri.ContainerConfig{
		Metadata:   cri.ContainerMetadata{Name: name},
		Command:    argv[:1],
		Args:       argv[1:],
		Env:        []cri.KeyValue{{Key: "PATH", Value: os.Getenv("PATH")}, {Key: "GREETING", Value: "hello world"}},
		WorkingDir: e.logDir,
		LogPath:    name + "/0.log",
		Labels:     map[string]string{cri.LabelContainer: name},
		Resources:  res,
	}, sb)
	require.NoError(e.t, err)
	require.NoError(e.t, e.rt.StartContainer(ctx, id))
	return id
}

// waitExited waits until the container has exited and returns its status.
func (e *env) waitExited(id string) *cri.ContainerStatus {
	e.t.Helper()
	var st *cri.ContainerStatus
	require.Eventually(e.t, func() bool {
		var err error
		st, err = e.rt.ContainerStatus(context.Background(), id)
		require.NoError(e.t, err)
		return st.State == cri.ContainerExited
	}, 30*time.Second, 10*time.Millisecond)
	return st
}

// waitLog waits until the container's log holds want and returns the log as Read serves it.
func (e *env) waitLog(id, want string) string {
	e.t.Helper()
	st, err := e.rt.ContainerStatus(context.Background(), id)
	require.NoError(e.t, err)
	var out bytes.Buffer
	require.Eventually(e.t, func() bool {
		out.Reset()
		err := logs.Read(context.Background(), st.LogPath, nil, &out, nil)
		return err == nil && strings.Contains(out.String(), want)
	}, 10*time.Second, 10*time.Millisecond, "want %q in the log", want)
	return out.String()
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	return exe
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	v, err := e.rt.Version(context.Background())
	require.NoError(t, err)
	require.Equal(t, "process", v.RuntimeName)
	require.NotEmpty(t, v.RuntimeVersion)
}

func TestExits(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("exits", nil)
	tests := []struct {
		name, script string
		code         int32
		reason       string
	}{
		{name: "completed", script: "echo out-1; echo err-1 >&2; echo out-2", code: 0, reason: cri.ReasonCompleted},
		{name: "error", script: "echo failing; exit 3", code: 3, reason: cri.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.container(sid, sb, tt.name, nil, "sh", "-c", tt.script)
			st := e.waitExited(id)
			require.Equal(t, tt.code, st.ExitCode)
			require.Equal(t, tt.reason, st.Reason)
			require.False(t, st.StartedAt.IsZero())
			require.False(t, st.FinishedAt.Before(st.StartedAt))
			require.Equal(t, filepath.Join(sb.LogDirectory, tt.name, "0.log"), st.LogPath)
		})
	}

	// The log is in the CRI format, one entry per line, each stream tagged.
	ctrs, err := e.rt.ListContainers(context.Background(), &cri.ContainerFilter{LabelSelector: map[string]string{cri.LabelContainer: "completed"}})
	require.NoError(t, err)
	require.Len(t, ctrs, 1)
	require.Equal(t, "out-1\nerr-1\nout-2\n", sortedByStream(t, e.waitLog(ctrs[0].ID, "out-2")))
	st, err := e.rt.ContainerStatus(context.Background(), ctrs[0].ID)
	require.NoError(t, err)
	raw, err := os.ReadFile(st.LogPath)
	require.NoError(t, err)
	streams := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		ent, err := logs.ParseEntry([]byte(line))
		require.NoError(t, err, line)
		require.False(t, ent.Partial)
		streams[string(ent.Content)] = string(ent.Stream)
	}
	require.Equal(t, map[string]string{"out-1": "stdout", "err-1": "stderr", "out-2": "stdout"}, streams)
}

// sortedByStream puts a log's lines in a stable order: stdout and stderr are copied concurrently.
func sortedByStream(t *testing.T, log string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	var out, errs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "err") {
			errs = append(errs, l)
		} else {
			out = append(out, l)
		}
	}
	return out[0] + "\n" + strings.Join(errs, "\n") + "\n" + strings.Join(out[1:], "\n") + "\n"
}

func TestNoCommand(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("nocmd", nil)
	_, err := e.rt.CreateContainer(context.Background(), sid, &cri.ContainerConfig{
		Metadata: cri.ContainerMetadata{Name: "app"}, Image: "nginx", Args: []string{"-g", "daemon off;"},
	}, sb)
	require.ErrorIs(t, err, ErrNoCommand)
	require.Contains(t, err.Error(), "process runtime")
	require.Contains(t, err.Error(), "needs a command")
	ctrs, err := e.rt.ListContainers(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, ctrs, "nothing half-made is left")
}

func TestStartError(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("starterr", nil)
	ctx := context.Background()
	id, err := e.rt.CreateContainer(ctx, sid, &cri.ContainerConfig{
		Metadata: cri.ContainerMetadata{Name: "app"}, Command: []string{"no-such-command-keelson"},
	}, sb)
	require.NoError(t, err)
	err = e.rt.StartContainer(ctx, id)
	require.ErrorContains(t, err, `command "no-such-command-keelson": not found`)
	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerExited, st.State)
	require.Equal(t, cri.ReasonStartError, st.Reason)
	require.EqualValues(t, 128, st.ExitCode)
	require.Contains(t, st.Message, "not found")
}

func TestStopGracePeriod(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("grace", nil)
	ctx := context.Background()

	t.Run("SIGKILL only after the timeout", func(t *testing.T) {
		id := e.container(sid, sb, "trap", nil, self(t), "workload", "trap")
		e.waitLog(id, "ready")
		const timeout = 2 * time.Second
		begin := time.Now()
		require.NoError(t, e.rt.StopContainer(ctx, id, timeout))
		took := time.Since(begin)
		require.GreaterOrEqual(t, took, timeout, "SIGKILL came before the grace period ended")
		require.Less(t, took, timeout+5*time.Second)
		e.waitLog(id, "got SIGTERM")
		st := e.waitExited(id)
		require.EqualValues(t, 137, st.ExitCode, "killed by SIGKILL")
		require.Equal(t, cri.ReasonError, st.Reason)
		require.NoError(t, e.rt.StopContainer(ctx, id, timeout), "stopping an exited container is a no-op")
	})
	t.Run("a process that obeys SIGTERM stops at once", func(t *testing.T) {
		id := e.container(sid, sb, "obey", nil, "sleep", "300")
		begin := time.Now()
		require.NoError(t, e.rt.StopContainer(ctx, id, 20*time.Second))
		require.Less(t, time.Since(begin), 10*time.Second)
		st := e.waitExited(id)
		require.EqualValues(t, 143, st.ExitCode, "ended by SIGTERM")
	})
	t.Run("timeout 0 kills at once", func(t *testing.T) {
		id := e.container(sid, sb, "kill", nil, self(t), "workload", "trap")
		e.waitLog(id, "ready")
		require.NoError(t, e.rt.StopContainer(ctx, id, 0))
		st := e.waitExited(id)
		require.EqualValues(t, 137, st.ExitCode)
	})
}

func TestMemoryLimitOOMKilled(t *testing.T) {
	e := newEnv(t)
	const limit = 32 << 20
	sid, sb := e.sandbox("oom", &cri.LinuxResources{MemoryLimitBytes: 2 * limit, CPUShares: 512})
	id := e.container(sid, sb, "hog", &cri.LinuxResources{MemoryLimitBytes: limit, CPUShares: 256, CPUQuota: 50000, CPUPeriod: 100000},
		self(t), "workload", "alloc")

	c, err := e.rt.loadContainer(id)
	require.NoError(t, err)
	require.Equal(t, e.opts.CgroupPrefix+"/kubepods/burstable/poduid-oom/"+id, c.Cgroup)
	read := func(ctrl, rel, file string) string {
		d, err := e.cg.Dir(ctrl, rel)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(d, file))
		require.NoError(t, err)
		return strings.TrimSpace(string(b))
	}
	require.Equal(t, strconv.Itoa(limit), read("memory", c.Cgroup, "memory.limit_in_bytes"))
	require.Equal(t, "50000", read("cpu", c.Cgroup, "cpu.cfs_quota_us"))
	require.Equal(t, strconv.Itoa(2*limit), read("memory", e.opts.CgroupPrefix+"/kubepods/burstable/poduid-oom", "memory.limit_in_bytes"))

	st := e.waitExited(id)
	require.Equal(t, cri.ReasonOOMKilled, st.Reason, "exit code %d", st.ExitCode)
	require.EqualValues(t, 137, st.ExitCode)
}

func TestExecSync(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("exec", nil)
	id := e.container(sid, sb, "app", nil, "sleep", "300")
	ctx := context.Background()

	require.ErrorContains(t, e.rt.StartContainer(ctx, id), "already started")

	res, err := e.rt.ExecSync(ctx, id, []string{self(t), "workload", "env"}, 10*time.Second)
	require.NoError(t, err)
	require.EqualValues(t, 5, res.ExitCode)
	out := string(res.Stdout)
	require.Contains(t, out, "GREETING=hello world\n")
	require.Contains(t, out, "PWD="+e.logDir+"\n")
	require.NotContains(t, out, "HOME=", "the environment is exactly the container's")

	res, err = e.rt.ExecSync(ctx, id, []string{"sh", "-c", "echo out; echo err >&2; cat /proc/self/cgroup"}, 10*time.Second)
	require.NoError(t, err)
	require.Zero(t, res.ExitCode)
	require.Equal(t, "err\n", string(res.Stderr))
	require.Contains(t, string(res.Stdout), "out\n")
	require.Contains(t, string(res.Stdout), ":memory:/"+e.opts.CgroupPrefix+"/kubepods/burstable/poduid-exec/"+id+"\n", "runs in the container's cgroup")

	begin := time.Now()
	_, err = e.rt.ExecSync(ctx, id, []string{"sleep", "60"}, 300*time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(begin), 10*time.Second)

	_, err = e.rt.ExecSync(ctx, id, []string{"no-such-command-keelson"}, 10*time.Second)
	require.ErrorContains(t, err, "not found")

	// The container itself was not disturbed.
	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerRunning, st.State)
}

func TestAdoptionAfterRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, sb := e.sandbox("adopt", nil)
	flag := filepath.Join(t.TempDir(), "exit-now")
	long := e.container(sid, sb, "long", nil, "sleep", "300")
	short := e.container(sid, sb, "short", nil, "sh", "-c", "while [ ! -e "+flag+" ]; do sleep 0.02; done; echo bye; exit 7")
	before, err := e.rt.ContainerStatus(ctx, long)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerRunning, before.State)
	require.NotZero(t, before.PID)

	// The monitor is detached: a session of its own, not the kubelet's child.
	var started startedRecord
	require.NoError(t, readJSON(filepath.Join(e.rt.containerDir(long), startedFile), &started))
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(started.MonitorPID) + "/stat")
	require.NoError(t, err)
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	require.NotEqual(t, strconv.Itoa(os.Getpid()), fields[1], "parent")
	require.Equal(t, strconv.Itoa(started.MonitorPID), fields[3], "session")
	cgs, err := os.ReadFile("/proc/" + strconv.Itoa(started.MonitorPID) + "/cgroup")
	require.NoError(t, err)
	require.Contains(t, string(cgs), ":memory:/"+e.opts.CgroupPrefix+"/"+DefaultMonitorCgroup+"\n", "out of the kubelet's cgroup")

	// The kubelet goes away: no Runtime exists while the short container exits.
	e.rt = nil
	require.NoError(t, os.WriteFile(flag, nil, 0o600))
	rt2, err := New(e.opts)
	require.NoError(t, err)
	// Wait on the monitor's record alone, as a kubelet starting up would find it.
	require.Eventually(t, func() bool { return exists(filepath.Join(rt2.containerDir(short), exitFile)) }, 10*time.Second, 10*time.Millisecond)
	e.rt = rt2

	sbs, err := rt2.ListPodSandbox(ctx, nil)
	require.NoError(t, err)
	require.Len(t, sbs, 1)
	require.Equal(t, sid, sbs[0].ID)
	require.Equal(t, "127.0.0.9", sbs[0].IP)
	running := cri.ContainerRunning
	ctrs, err := rt2.ListContainers(ctx, &cri.ContainerFilter{State: &running})
	require.NoError(t, err)
	require.Len(t, ctrs, 1)
	require.Equal(t, long, ctrs[0].ID)
	after, err := rt2.ContainerStatus(ctx, long)
	require.NoError(t, err)
	require.Equal(t, before.PID, after.PID, "the same process, not a restart")
	require.Equal(t, before.StartedAt, after.StartedAt)

	st, err := rt2.ContainerStatus(ctx, short)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerExited, st.State)
	require.EqualValues(t, 7, st.ExitCode)
	require.Equal(t, cri.ReasonError, st.Reason)
	e.waitLog(short, "bye")

	// The adopted container is still under control: it stops and is removed.
	require.NoError(t, rt2.StopContainer(ctx, long, time.Second))
	require.NoError(t, rt2.RemoveContainer(ctx, long))
	_, err = rt2.ContainerStatus(ctx, long)
	require.ErrorIs(t, err, cri.ErrNotFound)
}

func TestFollowLogUntilExit(t *testing.T) {
	e := newEnv(t)
	sid, sb := e.sandbox("follow", nil)
	id := e.container(sid, sb, "app", nil, self(t), "workload", "trap")
	st, err := e.rt.ContainerStatus(context.Background(), id)
	require.NoError(t, err)
	e.waitLog(id, "ready")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	running := func() bool {
		s, err := e.rt.ContainerStatus(ctx, id)
		return err == nil && s.State == cri.ContainerRunning
	}
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- logs.Read(ctx, st.LogPath, &kubeletapi.LogOptions{Follow: true}, &out, running) }()
	require.NoError(t, e.rt.StopContainer(ctx, id, 100*time.Millisecond))
	require.NoError(t, <-done, "follow ends once the container exited")
	require.Equal(t, "ready\ngot SIGTERM\n", out.String())
}

func TestRemovePodSandbox(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, sb := e.sandbox("rm", nil)
	id := e.container(sid, sb, "app", nil, "sleep", "300")
	require.NoError(t, e.rt.StopPodSandbox(ctx, sid))
	s, err := e.rt.PodSandboxStatus(ctx, sid)
	require.NoError(t, err)
	require.Equal(t, cri.SandboxNotReady, s.State)
	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerExited, st.State)
	_, err = e.rt.CreateContainer(ctx, sid, &cri.ContainerConfig{Metadata: cri.ContainerMetadata{Name: "late"}, Command: []string{"true"}}, sb)
	require.Error(t, err)

	require.NoError(t, e.rt.RemovePodSandbox(ctx, sid))
	require.NoError(t, e.rt.RemovePodSandbox(ctx, sid), "removing an unknown sandbox is a no-op")
	_, err = e.rt.PodSandboxStatus(ctx, sid)
	require.ErrorIs(t, err, cri.ErrNotFound)
	require.False(t, e.cg.Exists(e.opts.CgroupPrefix+"/kubepods/burstable/poduid-rm"))
	require.FileExists(t, st.LogPath, "logs outlive the sandbox")
}

func TestLogRotationAndReopen(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.LogMaxSize, o.LogMaxFiles = 1024, 3 })
	ctx := context.Background()
	sid, sb := e.sandbox("rotate", nil)
	id := e.container(sid, sb, "chatty", nil, "sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i; i=$((i+1)); done")
	st := e.waitExited(id)
	rotated, err := logs.RotatedFiles(st.LogPath)
	require.NoError(t, err)
	require.Len(t, rotated, 2, "--container-log-max-files counts the current file")
	tail := int64(2)
	var out bytes.Buffer
	require.NoError(t, logs.Read(ctx, st.LogPath, &kubeletapi.LogOptions{TailLines: &tail}, &out, nil))
	require.Equal(t, "line-198\nline-199\n", out.String())

	// A log renamed aside from outside is replaced by a fresh file on ReopenContainerLog.
	id = e.container(sid, sb, "reopen", nil, self(t), "workload", "trap")
	e.waitLog(id, "ready")
	st, err = e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.NoError(t, os.Rename(st.LogPath, st.LogPath+".aside"))
	require.NoError(t, e.rt.ReopenContainerLog(ctx, id))
	require.FileExists(t, st.LogPath)
	require.NoError(t, e.rt.StopContainer(ctx, id, 50*time.Millisecond))
	// The renamed file counts as a rotated one: Read serves both, the new file holds only the new line.
	require.Equal(t, "ready\ngot SIGTERM\n", e.waitLog(id, "got SIGTERM"))
	raw, err := os.ReadFile(st.LogPath)
	require.NoError(t, err)
	require.Contains(t, string(raw), " stdout F got SIGTERM\n")
	require.NotContains(t, string(raw), "ready")
	require.Error(t, e.rt.ReopenContainerLog(ctx, id), "an exited container has no log to reopen")
}

func TestMonitorKilled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, sb := e.sandbox("orphan", nil)
	id := e.container(sid, sb, "app", nil, "sleep", "300")
	var started startedRecord
	require.NoError(t, readJSON(filepath.Join(e.rt.containerDir(id), startedFile), &started))
	require.NoError(t, syscall.Kill(started.MonitorPID, syscall.SIGKILL))
	require.Eventually(t, func() bool { return !alive(started.MonitorPID, started.MonitorStartTime) }, 10*time.Second, 10*time.Millisecond)

	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerRunning, st.State, "the process outlives its monitor")
	require.NoError(t, e.rt.StopContainer(ctx, id, 0))
	st, err = e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerUnknown, st.State, "no monitor recorded the exit")
	require.False(t, alive(started.PID, started.PIDStartTime))
}

// TestConcurrentPods runs several pods at once, as pod workers do.
func TestConcurrentPods(t *testing.T) {
	e := newEnv(t)
	const pods = 8
	ids := make([]string, pods)
	errs := make([]error, pods)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range pods {
		wg.Go(func() {
			name := "pod" + strconv.Itoa(i)
			sb := &cri.PodSandboxConfig{
				Metadata:     cri.PodSandboxMetadata{Name: name, Namespace: "default", UID: "uid-" + name},
				LogDirectory: filepath.Join(e.logDir, "default_"+name),
				Labels:       map[string]string{cri.LabelPodName: name},
			}
			sid, err := e.rt.RunPodSandbox(ctx, sb)
			if err == nil {
				ids[i], err = e.rt.CreateContainer(ctx, sid, &cri.ContainerConfig{
					Metadata: cri.ContainerMetadata{Name: "app"}, Command: []string{"sh", "-c", "echo " + name},
				}, sb)
			}
			if err == nil {
				err = e.rt.StartContainer(ctx, ids[i])
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	for i, id := range ids {
		require.Equal(t, cri.ReasonCompleted, e.waitExited(id).Reason)
		require.Equal(t, "pod"+strconv.Itoa(i)+"\n", e.waitLog(id, "pod"))
	}
	sbs, err := e.rt.ListPodSandbox(context.Background(), &cri.SandboxFilter{LabelSelector: map[string]string{cri.LabelPodName: "pod3"}})
	require.NoError(t, err)
	require.Len(t, sbs, 1)
}

// TestLateStartMakesNoCgroup starts a container after its cgroups were removed, as happens to a
// monitor launched just as its kubelet stops and whose node's cgroups are then cleaned up: the
// start fails and leaves no cgroup behind.
func TestLateStartMakesNoCgroup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, sb := e.sandbox("late", nil)
	id, err := e.rt.CreateContainer(ctx, sid, &cri.ContainerConfig{
		Metadata: cri.ContainerMetadata{Name: "main"},
		Command:  []string{"sleep", "300"},
		Labels:   map[string]string{cri.LabelContainer: "main"},
	}, sb)
	require.NoError(t, err)
	require.True(t, e.cg.Exists(e.opts.MonitorCgroup), "CreateContainer makes the monitors' cgroup")
	require.NoError(t, e.cg.Remove(ctx, e.opts.CgroupPrefix))

	require.Error(t, e.rt.StartContainer(ctx, id))
	dirs, err := e.cg.Dirs(e.opts.CgroupPrefix)
	require.NoError(t, err)
	for _, d := range dirs {
		require.NoDirExists(t, d)
	}
	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerExited, st.State)
	require.Equal(t, cri.ReasonStartError, st.Reason)
}
