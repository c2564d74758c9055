package logs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/logs"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// A monitor copies a container's output into the log; the kubelet serves the last lines of it.
func Example() {
	dir, err := os.MkdirTemp("", "logs-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "app", "0.log")

	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	w, err := logs.NewWriter(path, logs.WriterOptions{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = w.Copy(logs.Stdout, strings.NewReader("starting\nlistening on :8080\nready\n"))
	_ = w.Close()

	raw, _ := os.ReadFile(path)
	fmt.Print(string(raw))

	tail := int64(2)
	_ = logs.Read(context.Background(), path, &kubeletapi.LogOptions{TailLines: &tail, Timestamps: true}, os.Stdout, nil)
	// Output:
	// 2026-12-07T03:00:00Z stdout F starting
	// 2026-12-07T03:00:00Z stdout F listening on :8080
	// 2026-12-07T03:00:00Z stdout F ready
	// 2026-12-07T03:00:00Z listening on :8080
	// 2026-12-07T03:00:00Z ready
}
