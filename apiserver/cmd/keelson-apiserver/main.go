// Command keelson-apiserver serves the Keelson API over gRPC and HTTP on one port, storing objects
// in etcd.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/apiserver/app"
)

func main() {
	if err := app.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
