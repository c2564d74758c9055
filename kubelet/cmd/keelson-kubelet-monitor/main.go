// Command keelson-kubelet-monitor is the process runtime's container monitor (see
// process.RunMonitor): keelson-kubelet starts it once per container, and it holds the container's
// process, its log and its exit code, outliving the kubelet. It is the kubelet's "monitor"
// subcommand in a binary of its own, small because it links only the runtime's monitor, so that a
// node starting many containers does not start, three times each, the whole kubelet.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/kubelet/internal/runtime/process"
)

func main() {
	if err := process.RunMonitor(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keelson-kubelet-monitor:", err)
		os.Exit(1)
	}
}
