package integration

import (
	"fmt"
	"os"
	"testing"

	kubeletapp "github.com/keelson-dev/keelson/kubelet/app"
)

// TestMain lets this test binary serve as the process runtime's container monitor: the in-process
// kubelets start their monitors by re-executing their own binary with "monitor", as
// keelson-kubelet does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "monitor" {
		if err := kubeletapp.Run(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "monitor:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
