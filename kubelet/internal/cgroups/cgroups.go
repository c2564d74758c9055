// Package cgroups creates, limits, joins and removes the kubelet's control groups on both cgroup
// versions: v1, where every controller is its own hierarchy mounted at <root>/<controller>, and
// v2, the single unified hierarchy mounted at <root>.
//
// Paths are relative to the root of every hierarchy (for example kubepods/burstable/pod<uid>/<id>)
// and use forward slashes. A Manager holds only its root and version, so any number of processes
// (the kubelet, its container monitors) may use the same cgroups at once.
//
// Limits follow the Kubernetes and runc conventions: on v1 cpu.shares, cpu.cfs_period_us,
// cpu.cfs_quota_us and memory.limit_in_bytes; on v2 cpu.weight (converted from shares), cpu.max
// and memory.max, with the needed controllers enabled in cgroup.subtree_control of every ancestor.
package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultRoot is where the cgroup file systems are mounted on Linux.
const DefaultRoot = "/sys/fs/cgroup"

// Version is the cgroup version a Manager drives.
type Version int

const (
	// V1 is the legacy layout: one hierarchy per controller.
	V1 Version = 1
	// V2 is the unified hierarchy.
	V2 Version = 2
)

func (v Version) String() string { return fmt.Sprintf("v%d", int(v)) }

// v1Controllers are the v1 hierarchies a kubelet cgroup lives in. cpu and cpuacct are often
// co-mounted (cpu -> cpu,cpuacct symlinks); the Manager copes with both layouts.
var v1Controllers = []string{"cpu", "cpuacct", "memory", "pids"}

// v2Controllers are the controllers a kubelet cgroup needs enabled on v2.
var v2Controllers = []string{"cpu", "memory", "pids"}

// Resources are the limits applied to a cgroup. Zero fields leave the kernel's default (no limit).
type Resources struct {
	// CPUPeriod is the CFS period in microseconds (0: the kernel default, 100000).
	CPUPeriod int64
	// CPUQuota is the CFS quota in microseconds per period (0 or negative: no quota).
	CPUQuota int64
	// CPUShares is the v1 relative weight (2..262144); on v2 it is converted to cpu.weight.
	CPUShares int64
	// MemoryLimitBytes is the hard memory limit.
	MemoryLimitBytes int64
}

// Manager manages cgroups below one mount root.
type Manager struct {
	root    string
	version Version
}

// Detect reports the cgroup version mounted at root: V2 when root itself is a cgroup2 mount, V1
// when it holds per-controller v1 hierarchies (a hybrid host with a cgroup2 mount at
// root/unified is V1: the controllers live in the v1 hierarchies).
func Detect(root string) (Version, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(root, &st); err != nil {
		return 0, fmt.Errorf("detect cgroup version at %s: %w", root, err)
	}
	if int64(st.Type) == cgroup2Magic {
		return V2, nil
	}
	if _, err := os.Stat(filepath.Join(root, "memory")); err != nil {
		return 0, fmt.Errorf("detect cgroup version at %s: neither a cgroup2 mount nor a v1 memory hierarchy: %w", root, err)
	}
	return V1, nil
}

// New returns a Manager for the cgroup file systems mounted at root ("" means DefaultRoot),
// detecting their version.
func New(root string) (*Manager, error) {
	if root == "" {
		root = DefaultRoot
	}
	v, err := Detect(root)
	if err != nil {
		return nil, err
	}
	return &Manager{root: root, version: v}, nil
}

// NewWithVersion returns a Manager that treats root as a cgroup file system of version v without
// looking at the mount; tests use it on a plain directory.
func NewWithVersion(root string, v Version) *Manager {
	return &Manager{root: root, version: v}
}

// Root is the mount root the Manager works below.
func (m *Manager) Root() string { return m.root }

// Version is the cgroup version the Manager drives.
func (m *Manager) Version() Version { return m.version }

// Clean checks a relative cgroup path and returns it normalised (no leading slash).
func Clean(rel string) (string, error) {
	if strings.Contains(rel, "..") {
		return "", fmt.Errorf("cgroup path %q: must not contain \"..\"", rel)
	}
	c := path.Clean("/" + strings.TrimSpace(rel))
	if c == "/" {
		return "", fmt.Errorf("cgroup path %q: must name a cgroup below the root", rel)
	}
	return strings.TrimPrefix(c, "/"), nil
}

// Dirs returns the directories that make up the cgroup at rel: one per v1 hierarchy, or the
// single v2 directory. Co-mounted v1 controllers that resolve to the same directory appear once,
// and v1 controllers that are not mounted are left out.
func (m *Manager) Dirs(rel string) ([]string, error) {
	c, err := Clean(rel)
	if err != nil {
		return nil, err
	}
	if m.version == V2 {
		return []string{filepath.Join(m.root, filepath.FromSlash(c))}, nil
	}
	var dirs []string
	seen := map[string]bool{}
	for _, ctrl := range v1Controllers {
		base := filepath.Join(m.root, ctrl)
		if resolved, err := filepath.EvalSymlinks(base); err == nil {
			base = resolved
		}
		if seen[base] {
			continue
		}
		if _, err := os.Stat(base); err != nil && ctrl != "memory" {
			continue // a controller this kernel does not mount; memory is required
		}
		seen[base] = true
		dirs = append(dirs, filepath.Join(base, filepath.FromSlash(c)))
	}
	return dirs, nil
}

// Dir is the directory of the cgroup at rel that holds controller ctrl's files (the unified
// directory on v2).
func (m *Manager) Dir(ctrl, rel string) (string, error) {
	c, err := Clean(rel)
	if err != nil {
		return "", err
	}
	if m.version == V2 {
		return filepath.Join(m.root, filepath.FromSlash(c)), nil
	}
	return filepath.Join(m.root, ctrl, filepath.FromSlash(c)), nil
}

// writeFile writes one cgroup control file. Control files exist in a real cgroup; creating one
// only happens on a fake root in tests.
func writeFile(dir, name, value string) error {
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if _, err := f.WriteString(value); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %q to %s: %w", value, p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Exists reports whether the cgroup at rel exists (in its memory hierarchy on v1).
func (m *Manager) Exists(rel string) bool {
	d, err := m.Dir("memory", rel)
	if err != nil {
		return false
	}
	_, err = os.Stat(d)
	return err == nil
}

// Create makes the cgroup at rel (and its missing ancestors) and applies r (nil: no limits).
// Creating an existing cgroup only applies r.
func (m *Manager) Create(rel string, r *Resources) error {
	c, err := Clean(rel)
	if err != nil {
		return err
	}
	if m.version == V2 {
		if err := m.createV2(c); err != nil {
			return err
		}
	} else {
		dirs, err := m.Dirs(c)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("create cgroup %s: %w", c, err)
			}
		}
	}
	return m.Apply(c, r)
}

// createV2 makes every missing directory down to rel, enabling the kubelet's controllers in each
// ancestor's cgroup.subtree_control so the leaf can be limited.
func (m *Manager) createV2(rel string) error {
	parts := strings.Split(rel, "/")
	dir := m.root
	for i, p := range parts {
		if err := enableSubtree(dir); err != nil {
			return err
		}
		dir = filepath.Join(dir, p)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", strings.Join(parts[:i+1], "/"), err)
		}
	}
	return nil
}

// enableSubtree enables, in dir's cgroup.subtree_control, those of the kubelet's controllers that
// dir offers (cgroup.controllers) and has not enabled yet.
func enableSubtree(dir string) error {
	avail, err := readFields(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return err
	}
	enabled, err := readFields(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var add []string
	for _, c := range v2Controllers {
		if avail[c] && !enabled[c] {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	return writeFile(dir, "cgroup.subtree_control", strings.Join(add, " "))
}

// readFields reads a space-separated list file into a set.
func readFields(p string) (map[string]bool, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	set := map[string]bool{}
	for _, f := range strings.Fields(string(b)) {
		set[f] = true
	}
	return set, nil
}

// Apply writes r's limits to the existing cgroup at rel. A nil r changes nothing.
func (m *Manager) Apply(rel string, r *Resources) error {
	if r == nil {
		return nil
	}
	files := V1Files(r)
	if m.version == V2 {
		files = V2Files(r)
	}
	for _, f := range files {
		d, err := m.Dir(f.Controller, rel)
		if err != nil {
			return err
		}
		if err := writeFile(d, f.Name, f.Value); err != nil {
			return fmt.Errorf("limit cgroup %s: %w", rel, err)
		}
	}
	return nil
}

// File is one control-file write that applies a limit.
type File struct {
	Controller string // the v1 hierarchy it belongs to; informative on v2
	Name       string
	Value      string
}

// V1Files lists the writes that apply r on cgroup v1, in the order the kernel accepts them (the
// period before the quota it is checked against).
func V1Files(r *Resources) []File {
	var fs []File
	if r.CPUShares > 0 {
		fs = append(fs, File{"cpu", "cpu.shares", fmt.Sprint(clampShares(r.CPUShares))})
	}
	if r.CPUPeriod > 0 {
		fs = append(fs, File{"cpu", "cpu.cfs_period_us", fmt.Sprint(r.CPUPeriod)})
	}
	if r.CPUQuota > 0 {
		fs = append(fs, File{"cpu", "cpu.cfs_quota_us", fmt.Sprint(r.CPUQuota)})
	}
	if r.MemoryLimitBytes > 0 {
		fs = append(fs, File{"memory", "memory.limit_in_bytes", fmt.Sprint(r.MemoryLimitBytes)})
	}
	return fs
}

// V2Files lists the writes that apply r on cgroup v2.
func V2Files(r *Resources) []File {
	var fs []File
	if r.CPUShares > 0 {
		fs = append(fs, File{"cpu", "cpu.weight", fmt.Sprint(SharesToWeight(r.CPUShares))})
	}
	if r.CPUQuota > 0 || r.CPUPeriod > 0 {
		quota := "max"
		if r.CPUQuota > 0 {
			quota = fmt.Sprint(r.CPUQuota)
		}
		period := r.CPUPeriod
		if period <= 0 {
			period = defaultPeriod
		}
		fs = append(fs, File{"cpu", "cpu.max", fmt.Sprintf("%s %d", quota, period)})
	}
	if r.MemoryLimitBytes > 0 {
		fs = append(fs, File{"memory", "memory.max", fmt.Sprint(r.MemoryLimitBytes)})
	}
	return fs
}

// Bounds of v1 cpu.shares and v2 cpu.weight, and the kernel's default CFS period.
const (
	minShares     = 2
	maxShares     = 262144
	minWeight     = 1
	maxWeight     = 10000
	defaultPeriod = 100000
)

func clampShares(s int64) int64 { return min(max(s, minShares), maxShares) }

// SharesToWeight converts v1 cpu.shares to v2 cpu.weight with the linear mapping Kubernetes and
// runc use: [2, 262144] onto [1, 10000], so 2 (best effort) is 1 and 1024 (one CPU) is 39.
func SharesToWeight(shares int64) int64 {
	s := clampShares(shares)
	return minWeight + ((s-minShares)*(maxWeight-minWeight))/(maxShares-minShares)
}
