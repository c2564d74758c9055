package nodestatus

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func ts(sec int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(sec, 0)) }

func meminfoKB(t *testing.T, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("%s not in /proc/meminfo", key)
	return 0
}

// TestProcReadsTheRealMachine checks the figures Proc reports against the machine itself.
func TestProcReadsTheRealMachine(t *testing.T) {
	dir := t.TempDir()
	f, err := Proc{FSPath: dir}.Read()
	require.NoError(t, err)

	require.Equal(t, meminfoKB(t, "MemTotal")*1024, f.MemoryTotal)
	avail := meminfoKB(t, "MemAvailable") * 1024
	require.InDelta(t, avail, f.MemoryAvailable, float64(avail)/5, "MemAvailable within 20%")

	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	require.Equal(t, int64(st.Blocks)*st.Bsize, f.FSCapacity)
	require.InDelta(t, int64(st.Bavail)*st.Bsize, f.FSAvailable, float64(f.FSCapacity)/100, "free space within 1% of capacity")

	pidMax, err := os.ReadFile("/proc/sys/kernel/pid_max")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(pidMax)), strconv.FormatInt(f.PIDMax, 10))
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	procs := 0
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			procs++
		}
	}
	// Threads take pids too, so at least every process is counted, and never more than pid_max.
	require.GreaterOrEqual(t, f.PIDsInUse, int64(procs)/2)
	require.Less(t, f.PIDsInUse, f.PIDMax)

	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(boot)), f.BootID)
	rel, err := os.ReadFile("/proc/sys/kernel/osrelease")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(rel)), f.KernelVersion)
	require.NotEmpty(t, f.OSImage)
	require.Positive(t, f.CPUs)
}
