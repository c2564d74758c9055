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
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Walk again each round: a monitor that was starting a container as its kubelet stopped
		// may still make a cgroup.
		dirs := cgroupDirs(root)
		if len(dirs) == 0 {
			return
		}
		for _, d := range dirs {
			for _, pid := range cgroupPids(d) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		for _, d := range dirs {
			_ = os.Remove(d) // fails while it has processes or children; the next round retries
		}
		if time.Now().After(deadline) {
			tb.Errorf("cgroups left behind: %v", cgroupDirs(root))
			return
		}
		time.Sleep(50 * time.Millisecond) // killed processes take a moment to leave their cgroup
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
