package server

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/certificate"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// UseCertificateClock makes the client certificate's renewal run on clk instead of the real
// clock, so that a test can bring the renewal time forward. Call it before Run.
func (s *Server) UseCertificateClock(clk clock.Clock) { s.certClock = clk }

// CertificateFile returns the file holding the kubelet's client certificate and key.
func (s *Server) CertificateFile() string {
	return certificate.Store{Dir: clientCertDir(s.cfg.CertDir, s.cfg.RootDir)}.Path()
}

// apiClient returns the client the kubelet talks to the API server with and the loops that keep
// its credentials. Without --bootstrap-kubeconfig it is the --apiserver and --kubeconfig client.
// With it, as Kubernetes' kubelet does, the client reaches the servers of --kubeconfig when that
// file holds a valid client certificate, and otherwise those of the bootstrap kubeconfig; the
// endpoints of --apiserver, when given, take their place, as for every daemon. It presents the
// certificate in the certificate directory, or a valid --kubeconfig's own when that directory
// holds none. When there is none, apiClient first
// obtains one with the bootstrap credentials and waits until it is issued; then, --kubeconfig set
// and not valid, it writes --kubeconfig to present that certificate. With --rotate-certificates a
// loop renews the certificate.
func (s *Server) apiClient(ctx context.Context) (*client.Client, []func(context.Context) error, error) {
	bc := s.cfg.Bootstrap
	if bc.BootstrapKubeconfig == "" {
		c, err := s.cfg.APIClient.NewClient("keelson-kubelet", s.lg.Named("client"))
		return c, nil, err
	}
	creds := s.credentials
	if creds == nil {
		creds = kubeconfigCredentials{endpoints: s.cfg.APIServers}
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
	kubeconfigFile := s.cfg.Kubeconfig
	var given *kubeconfig.Resolved // --kubeconfig, when it is used as it is
	if kubeconfigFile != "" {
		r, why, err := usableKubeconfig(kubeconfigFile, clk.Now())
		if err != nil {
			return nil, nil, err
		}
		if r != nil {
			given = r
			lg.Info("using --kubeconfig: its client certificate is valid", zap.String("kubeconfig", kubeconfigFile),
				zap.Time("notAfter", r.TLS.Certificates[0].Leaf.NotAfter))
		} else {
			lg.Info("not using --kubeconfig: it will be written once the client certificate is there",
				zap.String("kubeconfig", kubeconfigFile), zap.String("reason", why))
		}
	}
	switch err := mgr.Load(); {
	case err == nil:
		lg.Info("using the stored client certificate", zap.String("file", mgr.Path()),
			zap.Time("notAfter", mgr.Current().Leaf.NotAfter))
	case errors.Is(err, certificate.ErrNoCertificate) && given != nil:
		cert := given.TLS.Certificates[0]
		mgr.Adopt(&cert)
		lg.Info("presenting the client certificate of --kubeconfig; renewals go to the certificate directory",
			zap.String("kubeconfig", kubeconfigFile), zap.String("file", mgr.Path()))
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
	clusterFile := bc.BootstrapKubeconfig
	switch {
	case given != nil:
		clusterFile = kubeconfigFile
	case kubeconfigFile != "":
		if err := writeNodeKubeconfig(kubeconfigFile, bc.BootstrapKubeconfig, mgr.Path()); err != nil {
			return nil, nil, err
		}
		lg.Info("wrote --kubeconfig: it presents the client certificate file, renewals included",
			zap.String("kubeconfig", kubeconfigFile), zap.String("certificate", mgr.Path()))
	}
	c, reconnect, err := creds.Certified(clusterFile, "keelson-kubelet", mgr.GetClientCertificate, s.lg.Named("client"))
	if err != nil {
		return nil, nil, err
	}
	rotated = reconnect
	if !bc.RotateCertificates {
		return c, nil, nil
	}
	return c, []func(context.Context) error{func(ctx context.Context) error { return mgr.Run(ctx, c) }}, nil
}
