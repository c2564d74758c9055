package process

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// A container's mounts reach its exec helper as --mount <host path>:<container path>[:ro]. The
// helper starts in a mount namespace of its own (Go makes its mounts private, so nothing leaks to
// the host) and bind-mounts each before it execs the command: the container, and everything exec'd
// in it, sees the host directory at the container path, while the host's own view is unchanged.
const execFlagMount = "--mount"

// mountArg is the --mount value of m.
func mountArg(m cri.Mount) string {
	arg := m.HostPath + ":" + m.ContainerPath
	if m.ReadOnly {
		arg += ":ro"
	}
	return arg
}

// parseMount reads a --mount value.
func parseMount(arg string) (cri.Mount, error) {
	parts := strings.Split(arg, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] != "ro") {
		return cri.Mount{}, fmt.Errorf("exec helper: bad mount %q: want <host path>:<container path>[:ro]", arg)
	}
	return cri.Mount{HostPath: parts[0], ContainerPath: parts[1], ReadOnly: len(parts) == 3}, nil
}

// bindMounts makes each mount's host directory appear at its container path, in the calling
// process's mount namespace, creating the container path when missing.
func bindMounts(mounts []cri.Mount) error {
	for _, m := range mounts {
		if err := os.MkdirAll(m.ContainerPath, 0o755); err != nil {
			return fmt.Errorf("mount %s: %w", m.ContainerPath, err)
		}
		if err := syscall.Mount(m.HostPath, m.ContainerPath, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s at %s: %w", m.HostPath, m.ContainerPath, err)
		}
		if m.ReadOnly {
			flags := uintptr(syscall.MS_BIND | syscall.MS_REMOUNT | syscall.MS_RDONLY | syscall.MS_REC)
			if err := syscall.Mount("", m.ContainerPath, "", flags, ""); err != nil {
				return fmt.Errorf("make %s read-only: %w", m.ContainerPath, err)
			}
		}
	}
	return nil
}
