package cgroups

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSharesToWeight(t *testing.T) {
	tests := []struct{ shares, want int64 }{
		{shares: 0, want: 1}, {shares: 2, want: 1}, {shares: 1024, want: 39}, {shares: 262144, want: 10000}, {shares: 1 << 30, want: 10000},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, SharesToWeight(tt.shares), "shares %d", tt.shares)
	}
}

func TestFiles(t *testing.T) {
	tests := []struct {
		name   string
		r      Resources
		v1, v2 []File
	}{
		{name: "none"},
		{
			name: "all",
			r:    Resources{CPUPeriod: 100000, CPUQuota: 50000, CPUShares: 512, MemoryLimitBytes: 64 << 20},
			v1: []File{
				{"cpu", "cpu.shares", "512"}, {"cpu", "cpu.cfs_period_us", "100000"},
				{"cpu", "cpu.cfs_quota_us", "50000"}, {"memory", "memory.limit_in_bytes", "67108864"},
			},
			v2: []File{{"cpu", "cpu.weight", "20"}, {"cpu", "cpu.max", "50000 100000"}, {"memory", "memory.max", "67108864"}},
		},
		{
			name: "quota without period uses the default period",
			r:    Resources{CPUQuota: 20000},
			v1:   []File{{"cpu", "cpu.cfs_quota_us", "20000"}},
			v2:   []File{{"cpu", "cpu.max", "20000 100000"}},
		},
		{
			name: "period without quota is unlimited",
			r:    Resources{CPUPeriod: 50000, CPUQuota: -1},
			v1:   []File{{"cpu", "cpu.cfs_period_us", "50000"}},
			v2:   []File{{"cpu", "cpu.max", "max 50000"}},
		},
		{
			name: "shares clamp to the kernel's minimum",
			r:    Resources{CPUShares: 1},
			v1:   []File{{"cpu", "cpu.shares", "2"}},
			v2:   []File{{"cpu", "cpu.weight", "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.v1, V1Files(&tt.r))
			require.Equal(t, tt.v2, V2Files(&tt.r))
		})
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "kubepods/burstable/podx", want: "kubepods/burstable/podx"},
		{in: "/kubepods//pod/", want: "kubepods/pod"},
		{in: "", bad: true},
		{in: "/", bad: true},
		{in: "kubepods/../etc", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Clean(tt.in)
			if tt.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDirsV1(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"cpu,cpuacct", "memory", "pids"} {
		require.NoError(t, os.Mkdir(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.Symlink("cpu,cpuacct", filepath.Join(root, "cpu")))
	require.NoError(t, os.Symlink("cpu,cpuacct", filepath.Join(root, "cpuacct")))
	m := NewWithVersion(root, V1)
	dirs, err := m.Dirs("a/b")
	require.NoError(t, err)
	require.Equal(t, []string{
		filepath.Join(root, "cpu,cpuacct", "a", "b"), filepath.Join(root, "memory", "a", "b"), filepath.Join(root, "pids", "a", "b"),
	}, dirs, "co-mounted controllers appear once")
}

// TestV2Fake drives the v2 logic on a plain directory laid out like a unified hierarchy.
func TestV2Fake(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpuset cpu io memory pids\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "cgroup.subtree_control"), []byte("cpu\n"), 0o644))
	m := NewWithVersion(root, V2)

	// In a real hierarchy a new cgroup offers what its parent enabled; the fake mirrors that as
	// each level is made, so pre-create the first level with its controllers.
	require.NoError(t, os.Mkdir(filepath.Join(root, "kubepods"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "kubepods", "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644))

	require.NoError(t, m.Create("kubepods/podu", &Resources{CPUQuota: 50000, CPUPeriod: 100000, CPUShares: 1024, MemoryLimitBytes: 1 << 20}))
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(root, p))
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, "+memory +pids", read("cgroup.subtree_control"), "only the missing controllers are enabled")
	require.Equal(t, "+cpu +memory +pids", read("kubepods/cgroup.subtree_control"))
	require.Equal(t, "50000 100000", read("kubepods/podu/cpu.max"))
	require.Equal(t, "39", read("kubepods/podu/cpu.weight"))
	require.Equal(t, "1048576", read("kubepods/podu/memory.max"))

	require.NoError(t, os.WriteFile(filepath.Join(root, "kubepods/podu/memory.events"), []byte("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n"), 0o644))
	n, err := m.OOMKills("kubepods/podu")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	require.NoError(t, m.AddProcess("kubepods/podu", 42))
	require.Equal(t, "42", read("kubepods/podu/cgroup.procs"))
	require.True(t, m.Exists("kubepods/podu"))
}

// testRoot returns a unique cgroup path on the machine's real v1 hierarchies, removed (and
// checked gone) when the test ends; it skips where that is impossible.
func testRoot(t *testing.T) (*Manager, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	m, err := New("")
	require.NoError(t, err)
	if m.Version() != V1 {
		t.Skip("real-hierarchy test written for cgroup v1; v2 is covered by TestV2Fake")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	rel := "keelson-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, m.Remove(ctx, rel))
		dirs, err := m.Dirs(rel)
		require.NoError(t, err)
		for _, d := range dirs {
			require.NoDirExists(t, d)
		}
	})
	return m, rel
}

func TestV1Real(t *testing.T) {
	m, root := testRoot(t)
	rel := root + "/pod1/c1"
	require.NoError(t, m.Create(rel, &Resources{CPUShares: 256, CPUPeriod: 100000, CPUQuota: 20000, MemoryLimitBytes: 32 << 20}))
	read := func(ctrl, name string) string {
		d, err := m.Dir(ctrl, rel)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(d, name))
		require.NoError(t, err)
		return strings.TrimSpace(string(b))
	}
	require.Equal(t, "33554432", read("memory", "memory.limit_in_bytes"))
	require.Equal(t, "20000", read("cpu", "cpu.cfs_quota_us"))
	require.Equal(t, "256", read("cpu", "cpu.shares"))
	n, err := m.OOMKills(rel)
	require.NoError(t, err)
	require.Zero(t, n)

	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	require.NoError(t, m.AddProcess(rel, cmd.Process.Pid))
	pids, err := m.Pids(root)
	require.NoError(t, err)
	require.Equal(t, []int{cmd.Process.Pid}, pids, "a descendant's process counts for the ancestor")

	// Remove kills what is left before removing the tree.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, m.Remove(ctx, root))
	require.Error(t, <-waited)
	require.False(t, m.Exists(rel))
}

// TestV2RealHierarchy drives a real cgroup2 file system where the machine has one (a hybrid v1
// host mounts it at /sys/fs/cgroup/unified, without controllers): create, join, list and remove.
func TestV2RealHierarchy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make cgroups")
	}
	var root string
	for _, r := range []string{DefaultRoot, filepath.Join(DefaultRoot, "unified")} {
		if v, err := Detect(r); err == nil && v == V2 {
			root = r
			break
		}
	}
	if root == "" {
		t.Skip("no cgroup2 mount")
	}
	m, err := New(root)
	require.NoError(t, err)
	require.Equal(t, V2, m.Version())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	top := "keelson-test-" + hex.EncodeToString(b)
	rel := top + "/pod1/c1"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Cleanup(func() {
		require.NoError(t, m.Remove(context.Background(), top))
		require.NoDirExists(t, filepath.Join(root, top))
	})

	require.NoError(t, m.Create(rel, nil))
	require.True(t, m.Exists(rel))
	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	require.NoError(t, m.AddProcess(rel, cmd.Process.Pid))
	pids, err := m.Pids(top)
	require.NoError(t, err)
	require.Equal(t, []int{cmd.Process.Pid}, pids)
	require.NoError(t, m.Remove(ctx, top))
	require.Error(t, <-waited, "the process left in the tree was killed")
	require.False(t, m.Exists(rel))
}
