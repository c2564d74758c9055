package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/pki"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// serveTLS serves the resource service (peerRecorder: Unauthenticated without a client
// certificate) over TLS with cfg on a loopback port and returns its address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return serveResources(t, &peerRecorder{}, grpc.Creds(credentials.NewTLS(cfg)))
}

// serveResources serves impl as the resource service, reported healthy, on a loopback port until
// the test ends, and returns its address.
func serveResources(t *testing.T, impl resourcev1.ResourceServiceServer, opts ...grpc.ServerOption) string {
	t.Helper()
	srv := grpc.NewServer(opts...)
	resourcev1.RegisterResourceServiceServer(srv, impl)
	hs := health.NewServer()
	hs.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); require.NoError(t, <-served) })
	return ln.Addr().String()
}

// TestErrorsExplainTheCredentials checks that a call refused over a certificate or a credential
// fails with an error that names the endpoint, the certificate or credentials, and the fix.
func TestErrorsExplainTheCredentials(t *testing.T) {
	ca, err := pki.NewCA("cluster-ca", time.Hour)
	require.NoError(t, err)
	other, err := pki.NewCA("other-ca", time.Hour)
	require.NoError(t, err)
	serving, err := ca.Issue(pki.ServingSpec("apiserver", nil, []net.IP{net.IPv4(127, 0, 0, 1)}))
	require.NoError(t, err)
	mallory, err := other.Issue(pki.ClientSpec("mallory"))
	require.NoError(t, err)
	malloryCert := mallory.TLSCertificate()
	server := func(auth tls.ClientAuthType) *tls.Config {
		// TLS 1.2: the client reads the server's alert in the handshake (in TLS 1.3 its
		// handshake ends first and the alert races with its first write).
		return &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
			Certificates: []tls.Certificate{serving.TLSCertificate()}, ClientCAs: ca.Pool(), ClientAuth: auth}
	}
	src := client.Source{CA: `certificate-authority-data of cluster "c" in kubeconfig k`, User: `user "bob" in kubeconfig k`}
	tests := []struct {
		name     string
		server   *tls.Config
		client   *tls.Config
		tlsError bool
		want     []string
	}{
		{"server certificate of another CA", server(tls.NoClientCert),
			&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: other.Pool()}, true,
			[]string{`the apiserver's certificate CN="apiserver" (issuer CN="cluster-ca", valid `,
				`is not signed by certificate-authority-data of cluster "c" in kubeconfig k: point the kubeconfig's certificate-authority at the CA`,
				"x509: certificate signed by unknown authority"}},
		{"client certificate refused in the handshake", server(tls.RequireAndVerifyClientCert),
			&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: ca.Pool(),
				GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &malloryCert, nil }}, true,
			[]string{`the apiserver refused the client certificate CN="mallory" (issuer CN="other-ca", valid `,
				`of user "bob" in kubeconfig k: use a certificate signed by the cluster CA (the apiserver's --client-ca-file)`,
				"remote error: tls: unknown certificate authority"}},
		{"credentials refused by the server", server(tls.NoClientCert),
			&tls.Config{MinVersion: tls.VersionTLS12, RootCAs: ca.Pool()}, false,
			[]string{`refused the credentials of user "bob" in kubeconfig k: no client certificate`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveTLS(t, tt.server)
			c, err := client.New(client.Config{Endpoints: []string{addr}, TLS: tt.client, Source: src, Retries: 1})
			require.NoError(t, err)
			defer func() { _ = c.Close() }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err = c.Namespaces().Get(ctx, "x")
			require.Error(t, err)
			t.Log(err)
			var te *client.TLSError
			require.Equal(t, tt.tlsError, errors.As(err, &te), "%v", err)
			if tt.tlsError {
				require.Equal(t, addr, te.Endpoint)
				require.ErrorContains(t, err, "apiserver "+addr+": ")
			} else {
				require.Equal(t, apierrors.ReasonUnauthorized, apierrors.ReasonFor(err), "%v", err)
				require.ErrorContains(t, err, "apiserver "+addr+" refused")
			}
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}
