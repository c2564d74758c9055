// Command keelson-proxy forwards traffic for services to their ready backends on one node. See
// package app for its flags.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/proxy/app"
)

func main() {
	if err := app.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keelson-proxy:", err)
		os.Exit(1)
	}
}
