package process

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/atomicfile"
	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// Files of the state directory. Each is written whole and renamed into place, so a reader (a
// restarted kubelet, a monitor) never sees half a record.
const (
	sandboxFile  = "sandbox.json"
	configFile   = "config.json"  // a container's definition, written by CreateContainer
	startingFile = "starting"     // claims the one start of a container
	startedFile  = "started.json" // written by the monitor once the process runs
	exitFile     = "exit.json"    // written by the monitor once the process has ended
	monitorLog   = "monitor.log"  // the monitor's own diagnostics
	sandboxesDir = "sandboxes"
	containerDir = "containers"
)

// sandboxRecord is a sandbox as stored in <root>/sandboxes/<id>/sandbox.json.
type sandboxRecord struct {
	ID           string                 `json:"id"`
	Metadata     cri.PodSandboxMetadata `json:"metadata"`
	State        cri.SandboxState       `json:"state"`
	CreatedAt    time.Time              `json:"createdAt"`
	IP           string                 `json:"ip"`
	Hostname     string                 `json:"hostname,omitempty"`
	LogDirectory string                 `json:"logDirectory"`
	// Cgroup is the sandbox's cgroup, relative to the hierarchy roots (the prefix included).
	Cgroup      string            `json:"cgroup"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// containerRecord is a container as stored in <root>/containers/<id>/config.json: everything its
// monitor needs to run it, so the monitor reads nothing else.
type containerRecord struct {
	ID          string                `json:"id"`
	SandboxID   string                `json:"sandboxId"`
	Metadata    cri.ContainerMetadata `json:"metadata"`
	Image       string                `json:"image,omitempty"`
	Argv        []string              `json:"argv"` // command then args
	WorkingDir  string                `json:"workingDir"`
	Env         []string              `json:"env"` // KEY=value, exactly as given
	LogPath     string                `json:"logPath"`
	LogMaxSize  int64                 `json:"logMaxSize"`
	LogMaxFiles int                   `json:"logMaxFiles"`
	CgroupRoot  string                `json:"cgroupRoot"`
	Cgroup      string                `json:"cgroup"`
	// MonitorCgroup is where the monitor moves itself ("" to stay where it started).
	MonitorCgroup string `json:"monitorCgroup,omitempty"`
	// MonitorCommand starts the monitor binary; the monitor re-uses it for its exec helper.
	MonitorCommand []string          `json:"monitorCommand"`
	CreatedAt      time.Time         `json:"createdAt"`
	Labels         map[string]string `json:"labels,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
	// Mounts are bind-mounted in the container's own mount namespace.
	Mounts []cri.Mount `json:"mounts,omitempty"`
}

// startedRecord says a container's process runs: written by its monitor.
type startedRecord struct {
	MonitorPID       int       `json:"monitorPid"`
	MonitorStartTime uint64    `json:"monitorStartTime"`
	PID              int       `json:"pid"`
	PIDStartTime     uint64    `json:"pidStartTime"` // in clock ticks since boot, to tell a reused PID apart
	StartedAt        time.Time `json:"startedAt"`
}

// exitRecord says how a container's process ended: written by its monitor.
type exitRecord struct {
	ExitCode   int32     `json:"exitCode"`
	Signal     string    `json:"signal,omitempty"`
	OOMKilled  bool      `json:"oomKilled,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
	// Reason is set only when the monitor decided it (StartError); otherwise it is derived.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// writeJSON writes v to path atomically (a temporary file renamed over it).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.Write(path, b, 0o600)
}

// readJSON reads path into v. A missing file is reported with os.ErrNotExist.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// newID returns a random 32-hex-digit ID.
func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}
