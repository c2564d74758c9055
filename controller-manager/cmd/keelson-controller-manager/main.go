// Command keelson-controller-manager runs the controllers that drive the cluster toward its
// desired state. See package app for its flags.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/controller-manager/app"
)

func main() {
	if err := app.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keelson-controller-manager:", err)
		os.Exit(1)
	}
}
