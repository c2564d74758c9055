package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
)

// NewPKIFlags returns keelson-pki's flags with their defaults.
func NewPKIFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-pki", pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.String("dir", ".keelson/pki", "directory of the certificates and keys")
	fs.String("kubeconfig-dir", ".keelson", "directory of the kubeconfigs: <component>.kubeconfig and the admin's kubeconfig")
	fs.String("server", "https://127.0.0.1:6443", "API server URL the kubeconfigs name (several: comma-separated, read by Keelson's daemons only)")
	fs.String("cluster-name", "keelson", "name of the cluster in the kubeconfigs and of its CA")
	fs.String("service-cluster-ip-range", server.DefaultServiceClusterIPRange, "CIDR of cluster IPs; its first address, the kubernetes Service's, is a name of the serving certificate")
	fs.StringSlice("advertise-address", nil, "addresses the apiserver is reached at, added to its certificate's names (comma-separated)")
	fs.StringSlice("apiserver-cert-extra-sans", nil, "more IP addresses or DNS names for the apiserver's certificate (comma-separated)")
	fs.StringSlice("nodes", nil, "nodes to make a kubelet client certificate and kubeconfig for (comma-separated)")
	return fs
}

// RunPKI generates a cluster's PKI as args say and writes what it made to out. It returns nil
// when args ask for help.
func RunPKI(args []string, out io.Writer) error {
	fs := NewPKIFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keelson-pki takes no arguments, got %q", fs.Args())
	}
	str := func(name string) string { v, _ := fs.GetString(name); return v }
	slice := func(name string) []string { v, _ := fs.GetStringSlice(name); return v }
	c, err := clusterpki.Generate(clusterpki.Spec{
		Dir:                str("dir"),
		KubeconfigDir:      str("kubeconfig-dir"),
		Server:             str("server"),
		ClusterName:        str("cluster-name"),
		ServiceCIDR:        str("service-cluster-ip-range"),
		AdvertiseAddresses: slice("advertise-address"),
		ExtraSANs:          slice("apiserver-cert-extra-sans"),
		Nodes:              slice("nodes"),
	})
	if err != nil {
		return err
	}
	admin, err := filepath.Abs(c.Kubeconfig(clusterpki.AdminName))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "certificates and keys in %s, kubeconfigs in %s (CA %s)\nexport KUBECONFIG=%s\n",
		c.Dir, c.KubeconfigDir, c.CertFile(clusterpki.CAName), admin)
	return err
}
