// Command keelson-pki generates a cluster's certificates and kubeconfigs in a directory: the CA,
// the apiserver's serving certificate, a client certificate and kubeconfig per component and for
// the admin, and the service-account key pair. Run again, it keeps the CA.
package main

import (
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/apiserver/app"
)

func main() {
	if err := app.RunPKI(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
