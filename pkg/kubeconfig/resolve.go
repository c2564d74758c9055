package kubeconfig

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// Resolved is the current context of a kubeconfig with its files read: what a client needs.
type Resolved struct {
	// Endpoints are the servers as host:port, in the file's order.
	Endpoints []string
	// Secure says the servers are https URLs; TLS is then the client's TLS configuration (roots,
	// client certificate, server name) and nil otherwise.
	Secure bool
	TLS    *tls.Config
	// Token is the bearer token, "" for none.
	Token string
	// Namespace is the context's namespace, "" when it names none.
	Namespace string
	// Source names the cluster's certificate authority and the user, for error messages; a
	// caller that knows the kubeconfig's path adds it (InFile).
	Source client.Source
}

// InFile returns r with the kubeconfig's path added to its Source.
func (r *Resolved) InFile(path string) *Resolved {
	c := *r
	if c.Source.CA != "" {
		c.Source.CA += " in kubeconfig " + path
	}
	if c.Source.User != "" {
		c.Source.User += " in kubeconfig " + path
	}
	return &c
}

// source names where cluster's CA and user's credentials come from.
func source(clusterName string, cluster Cluster, userName string, user AuthInfo) client.Source {
	var src client.Source
	switch {
	case cluster.CertificateAuthority != "":
		src.CA = fmt.Sprintf("certificate-authority %s of cluster %q", cluster.CertificateAuthority, clusterName)
	case len(cluster.CertificateAuthorityData) > 0:
		src.CA = fmt.Sprintf("certificate-authority-data of cluster %q", clusterName)
	default:
		src.CA = fmt.Sprintf("the system's certificate authorities (cluster %q names no certificate-authority)", clusterName)
	}
	var creds []string
	switch {
	case user.ClientCertificate != "":
		creds = append(creds, "client-certificate "+user.ClientCertificate)
	case len(user.ClientCertificateData) > 0:
		creds = append(creds, "client-certificate-data")
	}
	switch {
	case user.TokenFile != "" && user.Token == "":
		creds = append(creds, "tokenFile "+user.TokenFile)
	case user.Token != "":
		creds = append(creds, "token")
	}
	src.User = fmt.Sprintf("user %q", userName)
	if len(creds) > 0 {
		src.User += " (" + strings.Join(creds, ", ") + ")"
	}
	return src
}

// Resolve returns the current context (or the context named context, when not empty) of c with
// its certificate, key and token files read.
func (c *Config) Resolve(context string) (*Resolved, error) {
	if context == "" {
		context = c.CurrentContext
	}
	if context == "" {
		return nil, errors.New("kubeconfig: no current-context")
	}
	ctx, cl, err := c.contextCluster(context)
	if err != nil {
		return nil, err
	}
	var user AuthInfo
	if ctx.Context.User != "" {
		u, ok := find(c.Users, ctx.Context.User, func(n NamedUser) string { return n.Name })
		if !ok {
			return nil, fmt.Errorf("kubeconfig: context %q: user %q not found", context, ctx.Context.User)
		}
		user = u.User
	}
	r := &Resolved{Namespace: ctx.Context.Namespace, Source: source(cl.Name, cl.Cluster, ctx.Context.User, user)}
	if r.Endpoints, r.Secure, err = endpoints(cl.Cluster.Server); err != nil {
		return nil, fmt.Errorf("kubeconfig: cluster %q: %w", cl.Name, err)
	}
	if r.Secure {
		if r.TLS, err = clientTLS(cl.Cluster, user); err != nil {
			return nil, fmt.Errorf("kubeconfig: context %q: %w", context, err)
		}
	}
	if r.Token, err = token(user); err != nil {
		return nil, fmt.Errorf("kubeconfig: user %q: %w", ctx.Context.User, err)
	}
	return r, nil
}

// Cluster returns the cluster of the current context (or of the context named context, when not
// empty) as the file has it, its files not read.
func (c *Config) Cluster(context string) (Cluster, error) {
	if context == "" {
		context = c.CurrentContext
	}
	if context == "" {
		return Cluster{}, errors.New("kubeconfig: no current-context")
	}
	_, cl, err := c.contextCluster(context)
	return cl.Cluster, err
}

// contextCluster finds the context named context and its cluster.
func (c *Config) contextCluster(context string) (NamedContext, NamedCluster, error) {
	ctx, ok := find(c.Contexts, context, func(n NamedContext) string { return n.Name })
	if !ok {
		return ctx, NamedCluster{}, fmt.Errorf("kubeconfig: context %q not found", context)
	}
	cl, ok := find(c.Clusters, ctx.Context.Cluster, func(n NamedCluster) string { return n.Name })
	if !ok {
		return ctx, cl, fmt.Errorf("kubeconfig: context %q: cluster %q not found", context, ctx.Context.Cluster)
	}
	return ctx, cl, nil
}

func find[T any](items []T, name string, nameOf func(T) string) (T, bool) {
	for _, it := range items {
		if nameOf(it) == name {
			return it, true
		}
	}
	var zero T
	return zero, false
}

// endpoints splits server, one URL or a comma-separated list of them, into host:port endpoints.
// All must share one scheme; a URL without a port gets the scheme's.
func endpoints(server string) ([]string, bool, error) {
	if strings.TrimSpace(server) == "" {
		return nil, false, errors.New("server is empty")
	}
	var eps []string
	scheme := ""
	for _, s := range strings.Split(server, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			return nil, false, fmt.Errorf("server %q: %w", s, err)
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			return nil, false, fmt.Errorf("server %q: scheme must be https or http", s)
		}
		if scheme != "" && u.Scheme != scheme {
			return nil, false, fmt.Errorf("server %q: every server must use %s", s, scheme)
		}
		scheme = u.Scheme
		if u.Hostname() == "" {
			return nil, false, fmt.Errorf("server %q has no host", s)
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
		}
		eps = append(eps, net.JoinHostPort(u.Hostname(), port))
	}
	return eps, scheme == "https", nil
}

// clientTLS returns the TLS configuration cluster and user describe: the CA to trust (the
// system's when none is named), the client certificate if any, the server name if set. A client
// certificate and key named by files are read again when the files change
// (GetClientCertificate); Certificates then holds the pair as read now.
func clientTLS(cluster Cluster, user AuthInfo) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cluster.TLSServerName}
	caData := cluster.CertificateAuthorityData
	if cluster.CertificateAuthority != "" {
		var err error
		if caData, err = os.ReadFile(cluster.CertificateAuthority); err != nil {
			return nil, fmt.Errorf("certificate-authority: %w", err)
		}
	}
	if len(caData) > 0 {
		pool, err := pki.CertPool(caData)
		if err != nil {
			return nil, fmt.Errorf("certificate-authority: %w", err)
		}
		cfg.RootCAs = pool
	}
	cfg.InsecureSkipVerify = cluster.InsecureSkipTLSVerify
	if user.ClientCertificate != "" && user.ClientKey != "" {
		files, err := NewCertificateFiles(user.ClientCertificate, user.ClientKey)
		if err != nil {
			return nil, err
		}
		cur, _ := files.Certificate() // read just now
		cfg.Certificates = []tls.Certificate{*cur}
		cfg.GetClientCertificate = files.GetClientCertificate
		return cfg, nil
	}
	certPEM, err := fileOrData("client-certificate", user.ClientCertificate, user.ClientCertificateData)
	if err != nil {
		return nil, err
	}
	keyPEM, err := fileOrData("client-key", user.ClientKey, user.ClientKeyData)
	if err != nil {
		return nil, err
	}
	switch {
	case len(certPEM) > 0 && len(keyPEM) > 0:
		kp, err := pki.ParseKeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{kp.TLSCertificate()}
	case len(certPEM) > 0:
		return nil, errors.New("client-certificate without client-key")
	case len(keyPEM) > 0:
		return nil, errors.New("client-key without client-certificate")
	}
	return cfg, nil
}

// fileOrData returns the file's contents when file is set, else data.
func fileOrData(field, file string, data []byte) ([]byte, error) {
	if file == "" {
		return data, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return b, nil
}

// token returns the user's bearer token: token, else the first line of tokenFile.
func token(u AuthInfo) (string, error) {
	if u.Token != "" || u.TokenFile == "" {
		return u.Token, nil
	}
	b, err := os.ReadFile(u.TokenFile)
	if err != nil {
		return "", fmt.Errorf("tokenFile: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ClientConfig returns a pkg/client configuration for the resolved servers and credentials;
// the caller sets the rest (user agent, logger).
func (r *Resolved) ClientConfig() client.Config {
	return client.Config{Endpoints: r.Endpoints, TLS: r.TLS, BearerToken: r.Token, Source: r.Source}
}
