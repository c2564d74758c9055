package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

func TestAPIClientConfig(t *testing.T) {
	ca, err := pki.NewCA("ca", 0)
	require.NoError(t, err)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, kubeconfig.Write(kubeconfig.New("c",
		kubeconfig.Cluster{Server: "https://127.0.0.7:6443", CertificateAuthorityData: pki.EncodeCert(ca.Cert)},
		kubeconfig.AuthInfo{Token: "secret"}), kc))

	tests := []struct {
		name      string
		a         APIClient
		endpoints []string
		tls       bool
		wantErr   string
	}{
		{name: "nothing set: the local server in plain text", endpoints: []string{DefaultAPIServer}},
		{name: "endpoints only", a: APIClient{APIServers: []string{"127.0.0.2:1"}}, endpoints: []string{"127.0.0.2:1"}},
		{name: "kubeconfig", a: APIClient{Kubeconfig: kc}, endpoints: []string{"127.0.0.7:6443"}, tls: true},
		{
			name: "endpoints override the kubeconfig's server", a: APIClient{Kubeconfig: kc, APIServers: []string{"127.0.0.8:1", "127.0.0.9:1"}},
			endpoints: []string{"127.0.0.8:1", "127.0.0.9:1"}, tls: true,
		},
		{name: "missing kubeconfig", a: APIClient{Kubeconfig: filepath.Join(t.TempDir(), "none")}, wantErr: "--kubeconfig: read kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.a.ClientConfig()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.endpoints, cfg.Endpoints)
			require.Equal(t, tt.tls, cfg.TLS != nil)
			if tt.tls {
				require.Equal(t, "secret", cfg.BearerToken)
			}
		})
	}
}
