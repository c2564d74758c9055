package certificate

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testSigner answers the kubelet's requests in a clienttest server: it signs each pending one for
// life with its own CA, or denies it.
type testSigner struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	life time.Duration
	deny bool
}

func newTestSigner(t *testing.T, life time.Duration, deny bool) *testSigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testSigner{key: key, cert: cert, life: life, deny: deny}
}

// run answers requests until ctx ends; it returns how many it answered through n.
func (s *testSigner) run(ctx context.Context, t *testing.T, c *client.Client, n *atomic.Int32) {
	t.Helper()
	serial := int64(100)
	for ctx.Err() == nil {
		list, err := c.CertificateSigningRequests().List(ctx, client.ListOptions{})
		if err != nil {
			return
		}
		for _, r := range list.Items {
			if !csr.Pending(r) {
				continue
			}
			r.Status = &certificatesv1.CertificateSigningRequestStatus{}
			if s.deny {
				r.Status.Conditions = []*certificatesv1.CertificateSigningRequestCondition{{Type: csr.Denied, Status: "True", Reason: "Test", Message: "no"}}
			} else {
				req, err := csr.ParseRequest(r.GetSpec().GetRequest())
				if err != nil {
					t.Errorf("the kubelet's request does not parse: %v", err)
					return
				}
				serial++
				now := time.Now().Truncate(time.Second)
				der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: req.Subject,
					NotBefore: now, NotAfter: now.Add(s.life), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, s.cert, req.PublicKey, s.key)
				if err != nil {
					t.Errorf("sign: %v", err)
					return
				}
				r.Status.Conditions = []*certificatesv1.CertificateSigningRequestCondition{{Type: csr.Approved, Status: "True", Reason: "Test"}}
				r.Status.Certificate = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
			}
			if _, err := c.CertificateSigningRequests().UpdateStatus(ctx, r); err == nil {
				n.Add(1)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// startSigner runs s against srv until the test ends.
func startSigner(t *testing.T, s *testSigner, srv *clienttest.Server) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.run(ctx, t, srv.Client(), &n) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return &n
}

// runManager runs m's renewal loop against srv until the test ends, failing the test if the loop
// returns an error.
func runManager(t *testing.T, m *Manager, srv *clienttest.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, srv.Client()) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestBootstrapWritesTheIssuedCertificate(t *testing.T) {
	srv := clienttest.Start(t)
	startSigner(t, newTestSigner(t, time.Hour, false), srv)
	dir := filepath.Join(t.TempDir(), "pki")
	m := New(Config{Dir: dir, NodeName: "n1", Expiration: 10 * time.Minute, Logger: zaptest.NewLogger(t)})
	require.ErrorIs(t, m.Load(), ErrNoCertificate)
	_, err := m.GetClientCertificate(nil)
	require.ErrorIs(t, err, ErrNoCertificate)

	require.NoError(t, m.Bootstrap(testContext(t), srv.Client()))
	cur, err := m.GetClientCertificate(nil)
	require.NoError(t, err)
	require.Equal(t, "system:node:n1", cur.Leaf.Subject.CommonName)
	require.Equal(t, []string{"system:nodes"}, cur.Leaf.Subject.Organization)
	fi, err := os.Stat(filepath.Join(dir, CurrentFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	list, err := srv.Client().CertificateSigningRequests().List(testContext(t), client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	spec := list.Items[0].GetSpec()
	require.Equal(t, csr.KubeAPIServerClientKubeletSigner, spec.GetSignerName())
	require.Equal(t, csr.KubeletClientUsages, spec.GetUsages())
	require.Equal(t, int32(600), spec.GetExpirationSeconds())
	require.Regexp(t, `^node-csr-[0-9a-f]{32}$`, list.Items[0].GetMetadata().GetName())

	// A restarted kubelet finds it.
	again := New(Config{Dir: dir, NodeName: "n1"})
	require.NoError(t, again.Load())
	require.Equal(t, cur.Leaf.SerialNumber, again.Current().Leaf.SerialNumber)
}

func TestBootstrapDeniedIsRefused(t *testing.T) {
	srv := clienttest.Start(t)
	startSigner(t, newTestSigner(t, time.Hour, true), srv)
	m := New(Config{Dir: t.TempDir(), NodeName: "n1", Logger: zaptest.NewLogger(t)})
	err := m.Bootstrap(testContext(t), srv.Client())
	require.ErrorIs(t, err, ErrRefused)
	require.Nil(t, m.Current())
}

// TestRunRotatesAtTheJitteredFraction checks that a renewal happens when the certificate clock
// reaches the jittered fraction of the lifetime, not before, and that OnRotate follows it.
func TestRunRotatesAtTheJitteredFraction(t *testing.T) {
	srv := clienttest.Start(t)
	answered := startSigner(t, newTestSigner(t, time.Hour, false), srv)
	clk := clock.NewFake(time.Now())
	var rotations atomic.Int32
	m := New(Config{Dir: t.TempDir(), NodeName: "n1", Clock: clk, Logger: zaptest.NewLogger(t),
		Jitter: func() float64 { return 0.8 }, OnRotate: func() { rotations.Add(1) }})
	require.NoError(t, m.Bootstrap(testContext(t), srv.Client()))
	first := m.Current()
	due := first.Leaf.NotBefore.Add(48 * time.Minute)

	runManager(t, m, srv)

	require.Eventually(t, func() bool { return clk.HasWaiters() }, 10*time.Second, 5*time.Millisecond, "rotation timer armed")
	clk.SetTime(due.Add(-time.Second))
	require.Equal(t, int32(1), answered.Load(), "no renewal before 80%% of the lifetime")
	clk.SetTime(due)
	require.Eventually(t, func() bool { return rotations.Load() == 1 }, 10*time.Second, 5*time.Millisecond, "renewed and rotated")
	require.NotEqual(t, first.Leaf.SerialNumber, m.Current().Leaf.SerialNumber)
	loaded, err := Store{Dir: m.cfg.Dir}.Load(time.Now())
	require.NoError(t, err)
	require.Equal(t, m.Current().Leaf.SerialNumber, loaded.Leaf.SerialNumber, "the renewed certificate is on disk")
}

// TestAdoptedCertificateIsRenewedIntoTheStore gives a manager with an empty store a certificate
// obtained elsewhere (a valid --kubeconfig's): it presents it without writing it, and its renewal
// lands in the store.
func TestAdoptedCertificateIsRenewedIntoTheStore(t *testing.T) {
	srv := clienttest.Start(t)
	startSigner(t, newTestSigner(t, time.Hour, false), srv)
	elsewhere := New(Config{Dir: t.TempDir(), NodeName: "n1", Logger: zaptest.NewLogger(t)})
	require.NoError(t, elsewhere.Bootstrap(testContext(t), srv.Client()))
	given := elsewhere.Current()

	clk := clock.NewFake(time.Now())
	var rotations atomic.Int32
	dir := filepath.Join(t.TempDir(), "pki")
	m := New(Config{Dir: dir, NodeName: "n1", Clock: clk, Logger: zaptest.NewLogger(t),
		Jitter: func() float64 { return 0.8 }, OnRotate: func() { rotations.Add(1) }})
	require.ErrorIs(t, m.Load(), ErrNoCertificate)
	m.Adopt(given)
	cur, err := m.GetClientCertificate(nil)
	require.NoError(t, err)
	require.Same(t, given, cur)
	_, err = os.Stat(m.Path())
	require.ErrorIs(t, err, os.ErrNotExist, "an adopted certificate is not written")

	runManager(t, m, srv)
	require.Eventually(t, func() bool { return clk.HasWaiters() }, 10*time.Second, 5*time.Millisecond, "rotation timer armed")
	clk.SetTime(given.Leaf.NotBefore.Add(48 * time.Minute))
	require.Eventually(t, func() bool { return rotations.Load() == 1 }, 10*time.Second, 5*time.Millisecond, "renewed and rotated")
	loaded, err := Store{Dir: dir}.Load(time.Now())
	require.NoError(t, err)
	require.NotEqual(t, given.Leaf.SerialNumber, loaded.Leaf.SerialNumber)
	require.Equal(t, m.Current().Leaf.SerialNumber, loaded.Leaf.SerialNumber, "the renewal is in the store")
}

func TestStoreLoad(t *testing.T) {
	s := newTestSigner(t, time.Hour, false)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	now := time.Now().Truncate(time.Second)
	certFor := func(pub *ecdsa.PublicKey, from, to time.Time) []byte {
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "system:node:n1"},
			NotBefore: from, NotAfter: to}, s.cert, pub, s.key)
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cases := []struct {
		name    string
		write   []byte // nil: no file
		saveErr bool
		want    error // ErrNoCertificate, nil, or errAny
	}{
		{"no file", nil, false, ErrNoCertificate},
		{"valid", append(certFor(&key.PublicKey, now.Add(-time.Minute), now.Add(time.Hour)), keyPEM...), false, nil},
		{"expired", append(certFor(&key.PublicKey, now.Add(-2*time.Hour), now.Add(-time.Hour)), keyPEM...), false, ErrNoCertificate},
		{"not yet valid", append(certFor(&key.PublicKey, now.Add(time.Hour), now.Add(2*time.Hour)), keyPEM...), false, ErrNoCertificate},
		{"another key", append(certFor(&other.PublicKey, now.Add(-time.Minute), now.Add(time.Hour)), keyPEM...), true, errAny},
		{"damaged", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), true, errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Store{Dir: t.TempDir()}
			if tc.write != nil {
				_, err := st.Save(tc.write, nil)
				require.Equal(t, tc.saveErr, err != nil, "Save: %v", err)
				require.NoError(t, os.WriteFile(st.Path(), tc.write, 0o600))
			}
			_, err := st.Load(now)
			switch {
			case tc.want == nil:
				require.NoError(t, err)
			case errors.Is(tc.want, errAny):
				require.Error(t, err)
				require.NotErrorIs(t, err, ErrNoCertificate, "a damaged file is not silently replaced")
			default:
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// errAny stands for any error but ErrNoCertificate in TestStoreLoad.
var errAny = errors.New("any error")
