package process

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets the test binary play the kubelet binary's hidden monitor subcommand (the runtime
// re-executes it) and a few container workloads.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "monitor":
			if err := RunMonitor(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "monitor:", err)
				os.Exit(1)
			}
			os.Exit(0)
		case "workload":
			os.Exit(workload(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

// workload is a container's process in the tests:
//
//	trap      print "ready", then report every SIGTERM and keep running
//	alloc     allocate and touch memory until killed
//	env       print the environment and the working directory
func workload(args []string) int {
	switch args[0] {
	case "trap":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("ready")
		for range ch {
			fmt.Println("got SIGTERM")
		}
	case "alloc":
		var keep [][]byte
		for range 4096 { // 4 GiB at most: far above any limit the tests set
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB without being killed")
	case "env":
		wd, _ := os.Getwd()
		fmt.Println(strings.Join(os.Environ(), "\n"))
		fmt.Println("PWD=" + wd)
		return 5
	}
	return 0
}
