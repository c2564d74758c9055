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
	// Each round walks again: a monitor that was starting a container as its kubelet stopped may
	// still make a cgroup. Killed processes take a moment to leave their cgroup, so a removal
	// that fails is retried at the next round.
	gone := func() bool {
		dirs := cgroupDirs(root)
		for _, d := range dirs {
			for _, pid := range cgroupPids(d) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		for _, d := range dirs {
			_ = os.Remove(d)
		}
		return len(cgroupDirs(root)) == 0
	}
	if poll(10*time.Second, 50*time.Millisecond, gone, nil) != held {
		tb.Errorf("cgroups left behind: %v", cgroupDirs(root))
	}
}

// cgroupDirs lists the cgroup directories of the tree root in every hierarchy, deepest first.
func cgroupDirs(root string) []string {
	var dirs []string
	mounts, _ := filepath.Glob(filepath.Join(cgroupMount, "*"))
	mounts = append(mounts, cgroupMount)
	for _, m := range mounts {
		_ = filepath.WalkDir(filepath.Join(m, root), func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	sort.Slice(dirs, func(i, j int) bool { return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/") })
	return dirs
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
