package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/embedetcd"
)

// validateEtcdTLS checks the etcd TLS flags come in whole sets: a client certificate with its key,
// and the embedded member's files all or none.
func (c Config) validateEtcdTLS() error {
	var errs []error
	if (c.EtcdCertFile == "") != (c.EtcdKeyFile == "") {
		errs = append(errs, errors.New("--etcd-certfile and --etcd-keyfile: give both or neither"))
	}
	if t := c.embeddedClientTLS(); t != nil {
		errs = append(errs, t.Validate("embedded-etcd-"))
	}
	if t := c.embeddedPeerTLS(); t != nil {
		errs = append(errs, t.Validate("embedded-etcd-peer-"))
		if c.embeddedClientTLS() == nil {
			errs = append(errs, errors.New("--embedded-etcd-peer-cert-file: needs the client port's files (--embedded-etcd-cert-file and the rest) too"))
		}
	}
	return errors.Join(errs...)
}

// embeddedClientTLS returns the embedded member's client-port files given by flags, or nil.
func (c Config) embeddedClientTLS() *embedetcd.TLS {
	t := embedetcd.TLS{CertFile: c.EmbeddedEtcdCertFile, KeyFile: c.EmbeddedEtcdKeyFile, TrustedCAFile: c.EmbeddedEtcdTrustedCAFile}
	if t == (embedetcd.TLS{}) {
		return nil
	}
	return &t
}

// embeddedPeerTLS returns the embedded member's peer-port files given by flags, or nil.
func (c Config) embeddedPeerTLS() *embedetcd.TLS {
	t := embedetcd.TLS{CertFile: c.EmbeddedEtcdPeerCertFile, KeyFile: c.EmbeddedEtcdPeerKeyFile, TrustedCAFile: c.EmbeddedEtcdPeerTrustedCAFile}
	if t == (embedetcd.TLS{}) {
		return nil
	}
	return &t
}

// embeddedTLS returns the files the embedded member serves with: the flags', or else those
// generated in <data-dir>/pki.
func (c Config) embeddedTLS(now time.Time) (client, peer *embedetcd.TLS, err error) {
	if client = c.embeddedClientTLS(); client != nil {
		return client, c.embeddedPeerTLS(), nil
	}
	t, err := embedetcd.GeneratePKI(filepath.Join(c.DataDir, "pki"), now)
	if err != nil {
		return nil, nil, err
	}
	return &t, nil, nil
}

// etcdClientTLS returns the TLS configuration for an external cluster, or nil when no endpoint is
// https and no file is given.
func (c Config) etcdClientTLS() (*tls.Config, error) {
	secure := c.EtcdCAFile != "" || c.EtcdCertFile != ""
	for _, ep := range c.EtcdServers {
		if strings.HasPrefix(ep, "https://") {
			secure = true
		}
	}
	if !secure {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.EtcdCAFile != "" {
		pem, err := os.ReadFile(c.EtcdCAFile)
		if err != nil {
			return nil, fmt.Errorf("--etcd-cafile: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--etcd-cafile: %s holds no PEM certificate", c.EtcdCAFile)
		}
	}
	if c.EtcdCertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.EtcdCertFile, c.EtcdKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--etcd-certfile/--etcd-keyfile: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
