package server

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/certificate"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// UseCertificateClock makes the client certificate's renewal run on clk instead of the real
// clock, so that a test can bring the renewal time forward. Call it before Run.
func (s *Server) UseCertificateClock(clk clock.Clock) { s.certClock = clk }

// CertificateFile returns the file holding the kubelet's client certificate and key.
func (s *Server) CertificateFile() string {
	return certificate.Store{Dir: clientCertDir(s.cfg.CertDir, s.cfg.RootDir)}.Path()
}

// apiClient returns the client the kubelet talks to the API server with and the loops that keep
// its credentials. Without --bootstrap-kubeconfig it is the --apiserver client. With it, the
// client presents the certificate in the certificate directory: when that holds no valid one,
// apiClient first obtains one with the bootstrap credentials and waits until it is issued; with
// --rotate-certificates a loop renews it.
func (s *Server) apiClient(ctx context.Context) (*client.Client, []func(context.Context) error, error) {
	bc := s.cfg.Bootstrap
	if bc.BootstrapKubeconfig == "" {
		c, err := s.cfg.APIClient.NewClient("keelson-kubelet", s.lg.Named("client"))
		return c, nil, err
	}
	creds := s.credentials
	if creds == nil {
		creds = kubeconfigCredentials{}
	}
	clk := s.certClock
	if clk == nil {
		clk = s.clock
	}
	lg := s.lg.Named("certificate")
	var rotated func()
	mgr := certificate.New(certificate.Config{
		Dir: clientCertDir(s.cfg.CertDir, s.cfg.RootDir), NodeName: s.nodeName, Expiration: bc.CertificateExpiration,
		Clock: clk, Logger: lg,
		OnRotate: func() {
			lg.Info("client certificate renewed: reconnecting with it")
			if rotated != nil {
				rotated()
			}
		},
	})
	switch err := mgr.Load(); {
	case err == nil:
		lg.Info("using the stored client certificate", zap.String("file", mgr.Path()),
			zap.Time("notAfter", mgr.Current().Leaf.NotAfter))
	case errors.Is(err, certificate.ErrNoCertificate):
		boot, err := creds.Bootstrap(bc.BootstrapKubeconfig, "keelson-kubelet/bootstrap", s.lg.Named("bootstrap-client"))
		if err != nil {
			return nil, nil, err
		}
		err = mgr.Bootstrap(ctx, boot)
		_ = boot.Close() // its calls have all returned
		if err != nil {
			return nil, nil, fmt.Errorf("bootstrap the client certificate: %w", err)
		}
	default:
		return nil, nil, err
	}
	c, reconnect, err := creds.Certified(bc.BootstrapKubeconfig, "keelson-kubelet", mgr.GetClientCertificate, s.lg.Named("client"))
	if err != nil {
		return nil, nil, err
	}
	rotated = reconnect
	if !bc.RotateCertificates {
		return c, nil, nil
	}
	return c, []func(context.Context) error{func(ctx context.Context) error { return mgr.Run(ctx, c) }}, nil
}
