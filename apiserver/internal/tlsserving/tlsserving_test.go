package tlsserving_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/soheilhy/cmux"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/keelson-dev/keelson/apiserver/internal/tlsserving"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// seen records what the servers saw of their last caller.
type seen struct {
	mu       sync.Mutex
	grpcInfo credentials.AuthInfo
	httpTLS  *tls.ConnectionState
}

// serve runs gRPC (health) and HTTP on one TLS-terminated loopback port, as the apiserver does,
// and returns its address.
func serve(t *testing.T, cfg *tls.Config, s *seen) string {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := tls.NewListener(raw, cfg)
	m := cmux.New(ln)
	grpcL := m.MatchWithWriters(cmux.HTTP2MatchHeaderFieldPrefixSendSettings("content-type", "application/grpc"))
	httpL := m.Match(cmux.Any())
	gs := grpc.NewServer(grpc.Creds(tlsserving.Credentials()),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if p, ok := peer.FromContext(ctx); ok {
				s.mu.Lock()
				s.grpcInfo = p.AuthInfo
				s.mu.Unlock()
			}
			return h(ctx, req)
		}))
	healthpb.RegisterHealthServer(gs, health.NewServer())
	hs := &http.Server{
		ConnContext:       tlsserving.ConnContext,
		ReadHeaderTimeout: 5 * time.Second,
		Handler: tlsserving.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.httpTLS = r.TLS
			s.mu.Unlock()
			_, _ = w.Write([]byte("ok"))
		})),
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = gs.Serve(grpcL) }()
	go func() { defer wg.Done(); _ = hs.Serve(httpL) }()
	go func() { defer wg.Done(); _ = m.Serve() }()
	t.Cleanup(func() {
		_ = ln.Close()
		gs.Stop()
		_ = hs.Close()
		m.Close()
		wg.Wait()
	})
	return raw.Addr().String()
}

type fixture struct {
	dir               string
	ca, other         *pki.CA
	certFile, keyFile string
	caFile            string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{dir: t.TempDir()}
	var err error
	f.ca, err = pki.NewCA("cluster-ca", 0)
	require.NoError(t, err)
	f.other, err = pki.NewCA("other-ca", 0)
	require.NoError(t, err)
	serving, err := f.ca.Issue(pki.ServingSpec("apiserver", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}))
	require.NoError(t, err)
	f.certFile, f.keyFile = filepath.Join(f.dir, "apiserver.crt"), filepath.Join(f.dir, "apiserver.key")
	require.NoError(t, pki.WriteKeyPair(serving, f.certFile, f.keyFile))
	f.caFile = filepath.Join(f.dir, "ca.crt")
	require.NoError(t, pki.WriteFile(f.caFile, pki.EncodeCert(f.ca.Cert), 0o644))
	return f
}

func (f fixture) client(t *testing.T, ca *pki.CA, user string) *tls.Config {
	t.Helper()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.ca.Pool()}
	if ca != nil {
		kp, err := ca.Issue(pki.ClientSpec(user, "group-a"))
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{kp.TLSCertificate()}
	}
	return cfg
}

func healthCheck(ctx context.Context, addr string, cfg *tls.Config) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

// TestGRPCAndHTTPSeeClientCertificates checks that both servers get the certificate a client
// presents, unverified: the client certificate authenticator verifies it (against the client CA)
// and refuses it with a 401 that says why.
func TestGRPCAndHTTPSeeClientCertificates(t *testing.T) {
	f := newFixture(t)
	cfg, err := tlsserving.ServerConfig(f.certFile, f.keyFile, f.caFile)
	require.NoError(t, err)
	var s seen
	addr := serve(t, cfg, &s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("gRPC with a client certificate", func(t *testing.T) {
		require.NoError(t, healthCheck(ctx, addr, f.client(t, f.ca, "alice")))
		s.mu.Lock()
		defer s.mu.Unlock()
		info, ok := s.grpcInfo.(credentials.TLSInfo)
		require.True(t, ok, "AuthInfo is %T", s.grpcInfo)
		require.Equal(t, credentials.PrivacyAndIntegrity, info.SecurityLevel)
		require.Equal(t, "h2", info.State.NegotiatedProtocol)
		require.Empty(t, info.State.VerifiedChains, "the handshake does not verify client certificates")
		require.Len(t, info.State.PeerCertificates, 1)
		require.Equal(t, "alice", info.State.PeerCertificates[0].Subject.CommonName)
		require.Equal(t, []string{"group-a"}, info.State.PeerCertificates[0].Subject.Organization)
	})
	t.Run("gRPC with a certificate of another CA", func(t *testing.T) {
		require.NoError(t, healthCheck(ctx, addr, f.client(t, f.other, "mallory")))
		s.mu.Lock()
		defer s.mu.Unlock()
		info, ok := s.grpcInfo.(credentials.TLSInfo)
		require.True(t, ok)
		require.Empty(t, info.State.VerifiedChains)
		require.Len(t, info.State.PeerCertificates, 1, "the server names no acceptable CA, so the client presents its certificate")
		require.Equal(t, "other-ca", info.State.PeerCertificates[0].Issuer.CommonName)
	})
	t.Run("gRPC without a client certificate", func(t *testing.T) {
		require.NoError(t, healthCheck(ctx, addr, f.client(t, nil, "")))
		s.mu.Lock()
		defer s.mu.Unlock()
		info, ok := s.grpcInfo.(credentials.TLSInfo)
		require.True(t, ok)
		require.Empty(t, info.State.PeerCertificates)
	})
	t.Run("HTTP with a client certificate", func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: f.client(t, f.ca, "bob"), ForceAttemptHTTP2: true}}
		defer hc.CloseIdleConnections()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/api", nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "HTTP/1.1", resp.Proto)
		s.mu.Lock()
		defer s.mu.Unlock()
		require.NotNil(t, s.httpTLS)
		require.Len(t, s.httpTLS.PeerCertificates, 1)
		require.Equal(t, "bob", s.httpTLS.PeerCertificates[0].Subject.CommonName)
	})
}

func TestHandshakeFailures(t *testing.T) {
	f := newFixture(t)
	cfg, err := tlsserving.ServerConfig(f.certFile, f.keyFile, f.caFile)
	require.NoError(t, err)
	addr := serve(t, cfg, &seen{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	noCA := f.client(t, nil, "")
	noCA.RootCAs = x509.NewCertPool()
	tests := []struct {
		name    string
		cfg     *tls.Config
		wantErr string
	}{
		{name: "client without the cluster CA", cfg: noCA, wantErr: "certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" over gRPC", func(t *testing.T) {
			err := healthCheck(ctx, addr, tt.cfg)
			require.ErrorContains(t, err, tt.wantErr)
		})
		t.Run(tt.name+" over HTTP", func(t *testing.T) {
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tt.cfg}}
			defer hc.CloseIdleConnections()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/api", nil)
			require.NoError(t, err)
			resp, err := hc.Do(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	t.Run("TLS 1.1 is refused", func(t *testing.T) {
		old := f.client(t, nil, "")
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		c, err := tls.Dial("tcp", addr, old)
		if err == nil {
			_ = c.Close()
		}
		require.ErrorContains(t, err, "protocol version not supported")
	})
}

func TestServerConfigErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name                string
		cert, key, clientCA string
		wantErr             string
	}{
		{name: "no key", cert: f.certFile, wantErr: "are both required"},
		{name: "missing cert", cert: filepath.Join(f.dir, "none"), key: f.keyFile, wantErr: "--tls-cert-file/--tls-private-key-file: read certificate"},
		{name: "key of another pair", cert: f.caFile, key: f.keyFile, wantErr: "private key does not match"},
		{name: "missing client CA", cert: f.certFile, key: f.keyFile, clientCA: filepath.Join(f.dir, "none"), wantErr: "--client-ca-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tlsserving.ServerConfig(tt.cert, tt.key, tt.clientCA)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
