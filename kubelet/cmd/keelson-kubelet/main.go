// Command keelson-kubelet is the node agent: it runs the pods bound to its node. See package app
// for its flags.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/kubelet/app"
)

func main() {
	if err := app.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keelson-kubelet:", err)
		os.Exit(1)
	}
}
