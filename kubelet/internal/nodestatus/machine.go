package nodestatus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Figures are what the node status is computed from. Sizes are in bytes.
type Figures struct {
	CPUs            int64
	MemoryTotal     int64
	MemoryAvailable int64
	// FSCapacity and FSAvailable describe the filesystem holding the kubelet's root and logs
	// (nodefs); with the process runtime it also holds the images (imagefs).
	FSCapacity  int64
	FSAvailable int64
	// PIDMax is the kernel's pid limit; PIDsInUse the processes and threads that exist now.
	PIDMax    int64
	PIDsInUse int64

	BootID        string
	KernelVersion string
	OSImage       string
	MachineID     string
	SystemUUID    string
}

// Machine reads the figures of the machine a node runs on.
type Machine interface {
	Read() (Figures, error)
}

// Proc reads the real machine: /proc/meminfo, /proc/loadavg, /proc/sys/kernel/{pid_max,osrelease,
// random/boot_id}, /etc/os-release, /etc/machine-id, /sys/class/dmi/id/product_uuid and statfs of
// FSPath. Root prefixes every path read (empty: "/"); FSPath is statted as given.
type Proc struct {
	Root   string
	FSPath string
}

func (p Proc) path(name string) string {
	root := p.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, name)
}

func (p Proc) readTrimmed(name string) (string, error) {
	b, err := os.ReadFile(p.path(name))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Read returns the machine's figures now. Identity files that do not exist or cannot be read
// (machine-id, product_uuid, os-release) leave their field empty; the rest are errors.
func (p Proc) Read() (Figures, error) {
	f := Figures{CPUs: int64(runtime.NumCPU())}
	var errs []error
	total, avail, err := p.meminfo()
	errs = append(errs, err)
	f.MemoryTotal, f.MemoryAvailable = total, avail
	fsPath := p.FSPath
	if fsPath == "" {
		fsPath = "/"
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(fsPath, &st); err != nil {
		errs = append(errs, fmt.Errorf("statfs %s: %w", fsPath, err))
	} else {
		f.FSCapacity = int64(st.Blocks) * st.Bsize  //nolint:gosec // block counts fit in int64
		f.FSAvailable = int64(st.Bavail) * st.Bsize //nolint:gosec // block counts fit in int64
	}
	if s, err := p.readTrimmed("proc/sys/kernel/pid_max"); err != nil {
		errs = append(errs, err)
	} else if f.PIDMax, err = strconv.ParseInt(s, 10, 64); err != nil {
		errs = append(errs, fmt.Errorf("parse pid_max: %w", err))
	}
	f.PIDsInUse, err = p.pidsInUse()
	errs = append(errs, err)
	f.BootID, err = p.readTrimmed("proc/sys/kernel/random/boot_id")
	errs = append(errs, err)
	f.KernelVersion, err = p.readTrimmed("proc/sys/kernel/osrelease")
	errs = append(errs, err)
	f.MachineID, _ = p.readTrimmed("etc/machine-id")                 // absent in some containers
	f.SystemUUID, _ = p.readTrimmed("sys/class/dmi/id/product_uuid") // readable by root only
	f.OSImage = p.osImage()
	if err := errors.Join(errs...); err != nil {
		return Figures{}, fmt.Errorf("read machine figures: %w", err)
	}
	return f, nil
}

// meminfo returns MemTotal and MemAvailable in bytes.
func (p Proc) meminfo() (total, avail int64, err error) {
	b, err := os.ReadFile(p.path("proc/meminfo"))
	if err != nil {
		return 0, 0, err
	}
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "MemTotal" && key != "MemAvailable") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, 0, fmt.Errorf("meminfo: empty %s", key)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("meminfo %s: %w", key, err)
		}
		found++
		if key == "MemTotal" {
			total = kb * 1024
		} else {
			avail = kb * 1024
		}
	}
	if found != 2 {
		return 0, 0, errors.New("meminfo: MemTotal or MemAvailable missing")
	}
	return total, avail, nil
}

// pidsInUse returns the number of scheduling entities (processes and threads, which all take a
// pid) from the fourth field of /proc/loadavg, "running/total".
func (p Proc) pidsInUse() (int64, error) {
	s, err := p.readTrimmed("proc/loadavg")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(s)
	if len(fields) < 4 {
		return 0, fmt.Errorf("loadavg: %q has no task counts", s)
	}
	_, total, ok := strings.Cut(fields[3], "/")
	if !ok {
		return 0, fmt.Errorf("loadavg: bad task counts %q", fields[3])
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("loadavg: %w", err)
	}
	return n, nil
}

// osImage returns PRETTY_NAME from os-release, or "Linux" when there is none.
func (p Proc) osImage() string {
	for _, name := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := os.ReadFile(p.path(name))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				if u, err := strconv.Unquote(v); err == nil {
					return u
				}
				return strings.Trim(v, `"'`)
			}
		}
	}
	return "Linux"
}

// Fixed is a Machine that always reports the same figures: for tests and hollow nodes.
type Fixed Figures

// Read returns f.
func (f Fixed) Read() (Figures, error) { return Figures(f), nil }
