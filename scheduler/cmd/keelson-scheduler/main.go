// Command keelson-scheduler assigns pods to nodes. See package app for its flags.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/scheduler/app"
)

func main() {
	if err := app.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keelson-scheduler:", err)
		os.Exit(1)
	}
}
