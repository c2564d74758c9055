package framework

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cgroupMount is where the cgroup file systems are mounted.
const cgroupMount = "/sys/fs/cgroup"

// removeCgroupTree kills every process left in the cgroup tree root (relative to each cgroup
// mount: every v1 hierarchy and the v2 one) and removes the tree, deepest first. A process
// runtime's containers and monitors outlive their kubelet on purpose (a restarted kubelet adopts
// them), so a test that ends removes them itself. It fails the test if the tree cannot be removed.
func removeCgroupTree(tb testing.TB, root string) {
	tb.Helper()
	var dirs []string
	mounts, _ := filepath.Glob(filepath.Join(cgroupMount, "*"))
	mounts = append(mounts, cgroupMount)
	for _, m := range mounts {
		top := filepath.Join(m, root)
		_ = filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	if len(dirs) == 0 {
		return
	}
	// Deepest first, so each directory is empty of children when it is removed.
	sort.Slice(dirs, func(i, j int) bool { return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/") })
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := dirs[:0:0]
		for _, d := range dirs {
			for _, pid := range cgroupPids(d) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
				left = append(left, d)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Errorf("cgroups left behind: %v", left)
			return
		}
		dirs = left
		time.Sleep(50 * time.Millisecond) // killed processes take a moment to leave their cgroup
	}
}

func cgroupPids(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
