package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"go.uber.org/zap"
	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/client"
)

// Credentials builds the API clients of a kubelet that bootstraps its client certificate.
type Credentials interface {
	// Bootstrap returns a client that authenticates with the credentials of the bootstrap
	// kubeconfig at path. The caller closes it.
	Bootstrap(path, userAgent string, lg *zap.Logger) (*client.Client, error)
	// Certified returns a client of the same servers, checked against the bootstrap kubeconfig's
	// CA, that presents at every handshake the certificate cert returns, and a function that drops
	// its connections so that they reconnect with a renewed certificate. The caller closes the
	// client.
	Certified(path, userAgent string, cert func(*tls.CertificateRequestInfo) (*tls.Certificate, error), lg *zap.Logger) (*client.Client, func(), error)
}

// UseCredentials makes the kubelet build its clients with cr when it bootstraps, instead of the
// plain-text default. Call it before Run.
func (s *Server) UseCredentials(cr Credentials) { s.credentials = cr }

// plainCredentials is the default Credentials while pkg/client speaks only plain text: both
// clients reach the servers the bootstrap kubeconfig names (or --apiserver when it names none)
// without TLS, so the certificate is obtained, stored and renewed but not yet presented. A
// Credentials built on pkg/client's TLS support replaces it: Bootstrap with the kubeconfig's CA
// and token, Certified with tls.Config{RootCAs: the CA, GetClientCertificate: cert} and a
// dialer whose connections it closes on rotation.
type plainCredentials struct {
	fallback []string
}

func (p plainCredentials) Bootstrap(path, userAgent string, lg *zap.Logger) (*client.Client, error) {
	return p.client(path, userAgent, lg)
}

func (p plainCredentials) Certified(path, userAgent string, _ func(*tls.CertificateRequestInfo) (*tls.Certificate, error), lg *zap.Logger) (*client.Client, func(), error) {
	c, err := p.client(path, userAgent, lg)
	return c, func() {}, err
}

func (p plainCredentials) client(path, userAgent string, lg *zap.Logger) (*client.Client, error) {
	eps, err := kubeconfigServers(path)
	if err != nil {
		return nil, fmt.Errorf("--bootstrap-kubeconfig: %w", err)
	}
	if len(eps) == 0 {
		eps = p.fallback
	}
	return client.New(client.Config{Endpoints: eps, UserAgent: userAgent, Logger: lg})
}

// kubeconfigServers returns the host:port endpoints of the cluster of the kubeconfig's current
// context.
func kubeconfigServers(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kc struct {
		CurrentContext string `json:"current-context"`
		Contexts       []struct {
			Name    string `json:"name"`
			Context struct {
				Cluster string `json:"cluster"`
			} `json:"context"`
		} `json:"contexts"`
		Clusters []struct {
			Name    string `json:"name"`
			Cluster struct {
				Server string `json:"server"`
			} `json:"cluster"`
		} `json:"clusters"`
	}
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cluster := ""
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			cluster = c.Context.Cluster
		}
	}
	if cluster == "" {
		return nil, fmt.Errorf("%s: no current context naming a cluster", path)
	}
	for _, c := range kc.Clusters {
		if c.Name != cluster {
			continue
		}
		if strings.TrimSpace(c.Cluster.Server) == "" {
			return nil, nil
		}
		var eps []string
		for _, s := range strings.Split(c.Cluster.Server, ",") {
			u, err := url.Parse(strings.TrimSpace(s))
			if err != nil || u.Hostname() == "" {
				return nil, fmt.Errorf("%s: cluster %q: bad server %q", path, cluster, s)
			}
			port := u.Port()
			if port == "" {
				port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
			}
			eps = append(eps, net.JoinHostPort(u.Hostname(), port))
		}
		return eps, nil
	}
	return nil, errors.New(path + ": cluster " + cluster + " not found")
}
