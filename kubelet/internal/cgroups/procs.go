package cgroups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// AddProcess moves the process pid (all its threads) into the cgroup at rel, in every hierarchy.
func (m *Manager) AddProcess(rel string, pid int) error {
	dirs, err := m.Dirs(rel)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := writeFile(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("add process %d to cgroup %s: %w", pid, rel, err)
		}
	}
	return nil
}

// Pids lists the processes in the cgroup at rel and its descendants, in any hierarchy, sorted and
// without duplicates. A missing cgroup holds none.
func (m *Manager) Pids(rel string) ([]int, error) {
	dirs, err := m.Dirs(rel)
	if err != nil {
		return nil, err
	}
	set := map[int]bool{}
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			if !e.IsDir() {
				return nil
			}
			b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil
				}
				return err
			}
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					set[pid] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list processes of cgroup %s: %w", rel, err)
		}
	}
	pids := make([]int, 0, len(set))
	for pid := range set {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids, nil
}

// OOMKills reports how many processes the kernel's OOM killer has killed in the cgroup at rel
// because of its memory limit: oom_kill of memory.oom_control on v1, of memory.events on v2.
// A kernel too old to count kills reports 1 if the cgroup is under OOM right now.
func (m *Manager) OOMKills(rel string) (uint64, error) {
	c, err := Clean(rel)
	if err != nil {
		return 0, err
	}
	name := "memory.oom_control"
	if m.version == V2 {
		name = "memory.events"
	}
	d, err := m.Dir("memory", c)
	if err != nil {
		return 0, err
	}
	p := filepath.Join(d, name)
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("read OOM kills of cgroup %s: %w", c, err)
	}
	kv := parseKeyValues(string(b))
	if n, ok := kv["oom_kill"]; ok {
		return n, nil
	}
	if kv["under_oom"] > 0 {
		return 1, nil
	}
	return 0, nil
}

// parseKeyValues reads "key value" lines, skipping the malformed.
func parseKeyValues(s string) map[string]uint64 {
	kv := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			kv[f[0]] = n
		}
	}
	return kv
}

// Kill sends SIGKILL to every process in the cgroup at rel and its descendants.
func (m *Manager) Kill(rel string) error {
	pids, err := m.Pids(rel)
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill process %d of cgroup %s: %w", pid, rel, err)
		}
	}
	return nil
}

// Remove kills every process left in the cgroup tree at rel, waits until the tree is empty and
// removes it, deepest first, from every hierarchy. It gives up when ctx ends. Removing a missing
// cgroup is a no-op.
func (m *Manager) Remove(ctx context.Context, rel string) error {
	dirs, err := m.Dirs(rel)
	if err != nil {
		return err
	}
	const poll = 10 * time.Millisecond
	for {
		if err := m.Kill(rel); err != nil {
			return err
		}
		pids, err := m.Pids(rel)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove cgroup %s: processes %v still running: %w", rel, pids, ctx.Err())
		case <-time.After(poll):
		}
	}
	for _, d := range dirs {
		if err := removeTree(ctx, d); err != nil {
			return fmt.Errorf("remove cgroup %s: %w", rel, err)
		}
	}
	return nil
}

// removeTree removes the cgroup directory d and its sub-cgroups, children first. rmdir of a
// cgroup whose last process just exited may fail with EBUSY for a moment, so it is retried until
// ctx ends.
func removeTree(ctx context.Context, d string) error {
	entries, err := os.ReadDir(d)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(ctx, filepath.Join(d, e.Name())); err != nil {
				return err
			}
		}
	}
	for {
		err := syscall.Rmdir(d)
		switch {
		case err == nil || errors.Is(err, syscall.ENOENT):
			return nil
		case errors.Is(err, syscall.ENOTEMPTY) && !isCgroupFS(d):
			// A fake root in tests holds control files as plain files.
			return os.RemoveAll(d)
		case !errors.Is(err, syscall.EBUSY):
			return fmt.Errorf("rmdir %s: %w", d, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rmdir %s: %w", d, errors.Join(err, ctx.Err()))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Magic numbers statfs reports for the cgroup file systems.
const (
	cgroup1Magic = 0x27e0eb
	cgroup2Magic = 0x63677270
)

// isCgroupFS reports whether d lies on a cgroup (v1 or v2) file system.
func isCgroupFS(d string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(d, &st) != nil {
		return false
	}
	return int64(st.Type) == cgroup2Magic || int64(st.Type) == cgroup1Magic
}
