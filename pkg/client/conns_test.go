package client_test

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/pki"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// peerRecorder answers every Get with NotFound and remembers the client certificate's common name
// of the connection each came on.
type peerRecorder struct {
	resourcev1.UnimplementedResourceServiceServer
	mu    sync.Mutex
	names []string
}

func (p *peerRecorder) Get(ctx context.Context, _ *resourcev1.GetRequest) (*resourcev1.GetResponse, error) {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "no peer")
	}
	ti, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.PeerCertificates) == 0 {
		return nil, status.Error(codes.Unauthenticated, "no client certificate")
	}
	p.mu.Lock()
	p.names = append(p.names, ti.State.PeerCertificates[0].Subject.CommonName)
	p.mu.Unlock()
	return nil, status.Error(codes.NotFound, "not found")
}

func (p *peerRecorder) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.names[len(p.names)-1]
}

// TestCloseConnectionsPresentsARenewedCertificate serves the resource service over TLS requiring
// client certificates and swaps the certificate the client's GetClientCertificate returns: the
// open connection keeps the old one until CloseConnections, after which the client reconnects by
// itself and the server sees the new one.
func TestCloseConnectionsPresentsARenewedCertificate(t *testing.T) {
	ca, err := pki.NewCA("test-ca", time.Hour)
	require.NoError(t, err)
	serving, err := ca.Issue(pki.ServingSpec("server", nil, []net.IP{net.IPv4(127, 0, 0, 1)}))
	require.NoError(t, err)
	issue := func(user string) *tls.Certificate {
		kp, err := ca.Issue(pki.ClientSpec(user))
		require.NoError(t, err)
		c := kp.TLSCertificate()
		return &c
	}

	rec := &peerRecorder{}
	addr := serveResources(t, rec, grpc.Creds(credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{serving.TLSCertificate()},
		ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert,
	})))

	var current atomic.Pointer[tls.Certificate]
	current.Store(issue("first"))
	c, err := client.New(client.Config{Endpoints: []string{addr}, TLS: &tls.Config{
		MinVersion: tls.VersionTLS12, RootCAs: ca.Pool(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return current.Load(), nil },
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	get := func() string {
		t.Helper()
		_, err := c.Namespaces().Get(ctx, "x")
		require.True(t, apierrors.IsNotFound(err), "%v", err)
		return rec.last()
	}

	require.Equal(t, "first", get())
	current.Store(issue("second"))
	require.Equal(t, "first", get(), "an open connection keeps the certificate of its handshake")
	require.Equal(t, 1, c.CloseConnections(), "one connection to the one endpoint")
	require.Equal(t, "second", get(), "the client reconnects and presents the new certificate")
	require.Equal(t, "second", get())
	require.Equal(t, 1, c.CloseConnections(), "the new connection is tracked, the closed one forgotten")
}
