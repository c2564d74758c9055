package certificate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// Config configures a Manager.
type Config struct {
	// Dir is the certificate directory (--cert-dir).
	Dir string
	// NodeName is the node the certificate names.
	NodeName string
	// Expiration, when positive, is the validity the kubelet asks for (spec.expirationSeconds);
	// zero leaves it to the signer.
	Expiration time.Duration
	// Jitter returns where in a certificate's lifetime it is renewed, in [0.7, 0.9) (default
	// random).
	Jitter func() float64
	// RetryBackoff is the first pause after a failed renewal, doubling up to five minutes
	// (default 2s).
	RetryBackoff time.Duration
	// OnRotate, when set, is called after a new certificate replaced the current one: the place
	// to drop connections made with the old one, so they reconnect with the new.
	OnRotate func()
	Clock    clock.Clock
	Logger   *zap.Logger
}

// Manager holds the kubelet's current client certificate: it obtains the first one with the
// bootstrap credentials (Bootstrap) and renews it under the node's identity (Run). It is safe for
// concurrent use.
type Manager struct {
	cfg   Config
	store Store

	mu      sync.RWMutex
	current *tls.Certificate
}

// New returns a Manager of the certificate in cfg.Dir. It reads nothing yet.
func New(cfg Config) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 0.7 + 0.2*rand.Float64() } //nolint:gosec // jitter, not a secret
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 2 * time.Second
	}
	return &Manager{cfg: cfg, store: Store{Dir: cfg.Dir}}
}

// Path returns the file holding the current certificate and key.
func (m *Manager) Path() string { return m.store.Path() }

// Current returns the current certificate, or nil before Load or Bootstrap succeeded.
func (m *Manager) Current() *tls.Certificate {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.current
}

// GetClientCertificate returns the current certificate to a TLS handshake
// (tls.Config.GetClientCertificate), so every new connection presents the newest one.
func (m *Manager) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if c := m.Current(); c != nil {
		return c, nil
	}
	return nil, ErrNoCertificate
}

// Load makes the stored certificate current when it is valid now. It fails with ErrNoCertificate
// when there is none or it expired: then the kubelet must bootstrap.
func (m *Manager) Load() error {
	c, err := m.store.Load(m.cfg.Clock.Now())
	if err != nil {
		return err
	}
	m.set(c)
	return nil
}

// Adopt makes c, whose Leaf is set, current without writing it: a certificate the kubelet was
// given (a valid --kubeconfig's) rather than one it obtained. Run renews it like any other, and
// the renewal goes to the store.
func (m *Manager) Adopt(c *tls.Certificate) { m.set(c) }

// Bootstrap obtains a first certificate with bc, a client carrying the bootstrap credentials,
// writes it and makes it current. It waits until the request is issued or refused, or ctx ends.
func (m *Manager) Bootstrap(ctx context.Context, bc *client.Client) error {
	m.cfg.Logger.Info("no valid client certificate: requesting one with the bootstrap credentials", zap.String("file", m.Path()))
	return m.renew(ctx, bc)
}

// Run renews the certificate through c, the client that presents it, at a jittered 70 to 90% of
// its lifetime, until ctx ends. A failed renewal is retried with backoff; the current certificate
// stays in use meanwhile. It returns nil once ctx ends.
func (m *Manager) Run(ctx context.Context, c *client.Client) error {
	backoff := m.cfg.RetryBackoff
	for {
		cur := m.Current()
		if cur == nil {
			return errors.New("certificate manager: no current certificate to renew")
		}
		at := m.rotationTime(cur)
		m.cfg.Logger.Info("client certificate rotation scheduled", zap.Time("expires", cur.Leaf.NotAfter), zap.Time("renewAt", at))
		t := m.cfg.Clock.NewTimer(m.cfg.Clock.Until(at))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
		for {
			err := m.renew(ctx, c)
			if err == nil {
				backoff = m.cfg.RetryBackoff
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			m.cfg.Logger.Warn("renew client certificate; retrying", zap.Duration("after", backoff), zap.Error(err))
			select {
			case <-ctx.Done():
				return nil
			case <-m.cfg.Clock.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Minute)
		}
	}
}

// rotationTime is when cert is renewed: at the jittered fraction of its lifetime.
func (m *Manager) rotationTime(cert *tls.Certificate) time.Time {
	nb, na := cert.Leaf.NotBefore, cert.Leaf.NotAfter
	return nb.Add(time.Duration(float64(na.Sub(nb)) * m.cfg.Jitter()))
}

// renew asks for a new certificate through c, writes it and makes it current.
func (m *Manager) renew(ctx context.Context, c *client.Client) error {
	certPEM, keyPEM, err := request(ctx, c, m.cfg.NodeName, m.cfg.Expiration, m.cfg.Clock, m.cfg.Logger)
	if err != nil {
		return err
	}
	cert, err := m.store.Save(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("store issued certificate: %w", err)
	}
	replaced := m.Current() != nil
	m.set(cert)
	m.cfg.Logger.Info("wrote client certificate", zap.String("file", m.Path()), zap.String("subject", cert.Leaf.Subject.String()),
		zap.Time("notBefore", cert.Leaf.NotBefore), zap.Time("notAfter", cert.Leaf.NotAfter))
	if replaced && m.cfg.OnRotate != nil {
		m.cfg.OnRotate()
	}
	return nil
}

func (m *Manager) set(c *tls.Certificate) {
	m.mu.Lock()
	m.current = c
	m.mu.Unlock()
}
