package certificate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// ErrRefused means the request was denied or failed: asking again the same way will not help.
var ErrRefused = errors.New("certificate signing request refused")

// waitLogEvery is how often a wait for approval says it is still waiting.
const waitLogEvery = 30 * time.Second

// request asks, through c, for a kubelet client certificate for node with a new ECDSA key and
// waits until it is issued or refused, or ctx ends. It returns the certificate and key PEM.
// expiration, when positive, is the validity asked for (spec.expirationSeconds).
func request(ctx context.Context, c *client.Client, node string, expiration time.Duration, clk clock.Clock, lg *zap.Logger) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: csr.NodeUserPrefix + node, Organization: []string{csr.NodesGroup}},
	}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate request: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	r := &certificatesv1.CertificateSigningRequest{
		Metadata: &metav1.ObjectMeta{Name: requestName(der)},
		Spec: &certificatesv1.CertificateSigningRequestSpec{
			Request: csr.EncodeRequest(der), SignerName: csr.KubeAPIServerClientKubeletSigner,
			Usages: csr.KubeletClientUsages,
		},
	}
	if expiration > 0 {
		secs := int32(expiration / time.Second) //nolint:gosec // bounded by the flag's validation
		r.Spec.ExpirationSeconds = &secs
	}
	name := r.GetMetadata().GetName()
	if _, err := c.CertificateSigningRequests().Create(ctx, r); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, nil, fmt.Errorf("create certificate signing request %s: %w", name, err)
	}
	lg.Info("waiting for the certificate signing request to be approved and signed", zap.String("csr", name),
		zap.String("signer", csr.KubeAPIServerClientKubeletSigner), zap.String("subject", csr.NodeUserPrefix+node))
	certPEM, err = wait(ctx, c, name, clk, lg)
	if err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// requestName is node-csr-<hash of the request>: a retry of the same request finds the same name.
func requestName(der []byte) string {
	sum := sha256.Sum256(der)
	return "node-csr-" + hex.EncodeToString(sum[:16])
}

// wait watches the request named name until it holds a certificate (returned), is denied or
// fails (ErrRefused), is deleted, or ctx ends. A watch the server ends is opened again.
func wait(ctx context.Context, c *client.Client, name string, clk clock.Clock, lg *zap.Logger) ([]byte, error) {
	logTicker := clk.NewTicker(waitLogEvery)
	defer logTicker.Stop()
	for {
		w, err := c.CertificateSigningRequests().Watch(ctx, client.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			return nil, fmt.Errorf("watch certificate signing request %s: %w", name, err)
		}
		cert, done, err := follow(ctx, w, name, logTicker.C(), lg)
		w.Stop()
		if done || err != nil {
			return cert, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for certificate signing request %s: %w", name, ctx.Err())
		}
	}
}

// follow reads w's events until the request is decided (done) or the watch ends (not done).
func follow(ctx context.Context, w *client.Watcher[*certificatesv1.CertificateSigningRequest], name string,
	tick <-chan time.Time, lg *zap.Logger) ([]byte, bool, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, false, fmt.Errorf("wait for certificate signing request %s: %w", name, ctx.Err())
		case <-tick:
			lg.Info("still waiting for the certificate signing request to be approved and signed", zap.String("csr", name))
		case ev, ok := <-w.Events():
			if !ok {
				return nil, false, nil
			}
			r := ev.Object
			switch {
			case ev.Type == client.Deleted:
				return nil, true, fmt.Errorf("%w: certificate signing request %s was deleted", ErrRefused, name)
			case ev.Type == client.Bookmark:
			case csr.Has(r, csr.Denied):
				c := csr.Condition(r, csr.Denied)
				return nil, true, fmt.Errorf("%w: %s denied (%s): %s", ErrRefused, name, c.GetReason(), c.GetMessage())
			case csr.Has(r, csr.Failed):
				c := csr.Condition(r, csr.Failed)
				return nil, true, fmt.Errorf("%w: %s failed (%s): %s", ErrRefused, name, c.GetReason(), c.GetMessage())
			case len(r.GetStatus().GetCertificate()) > 0:
				lg.Info("certificate signing request issued", zap.String("csr", name))
				return r.GetStatus().GetCertificate(), true, nil
			case csr.Has(r, csr.Approved):
				lg.Info("certificate signing request approved, waiting for the signer", zap.String("csr", name))
			}
		}
	}
}
