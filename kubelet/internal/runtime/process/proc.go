package process

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// procStart reads the start time (clock ticks since boot) of process pid and whether it is a
// zombie. ok is false if the process does not exist.
func procStart(pid int) (start uint64, zombie, ok bool) {
	if pid <= 0 {
		return 0, false, false
	}
	// Read with bare system calls into a buffer on the stack: the relister asks this of every
	// running container each relist period.
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, false, false
	}
	var buf [1024]byte // the line is a few hundred bytes: the name is at most 64
	n, err := syscall.Read(fd, buf[:])
	_ = syscall.Close(fd)
	if err != nil || n <= 0 {
		return 0, false, false
	}
	b := buf[:n]
	// The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, false
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field 22 (starttime) is f[19].
	if len(f) < 20 {
		return 0, false, false
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, false, false
	}
	return start, string(f[0]) == "Z", true
}

// alive reports whether the process pid that started at start still runs (not a zombie, and
// not a new process that reused the PID).
func alive(pid int, start uint64) bool {
	s, zombie, ok := procStart(pid)
	return ok && !zombie && s == start
}

// selfStart is procStart of the calling process.
func selfStart() (uint64, error) {
	s, _, ok := procStart(os.Getpid())
	if !ok {
		return 0, fmt.Errorf("read /proc/%d/stat", os.Getpid())
	}
	return s, nil
}
