package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChecks(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{name: "port zero means any", err: CheckPort("port", 0)},
		{name: "port", err: CheckPort("port", 10259)},
		{name: "highest port", err: CheckPort("port", 65535)},
		{name: "negative port", err: CheckPort("port", -1), wantErr: "--port: port -1 out of range"},
		{name: "port too high", err: CheckPort("port", 65536), wantErr: "--port: port 65536 out of range"},

		{name: "ipv4", err: CheckIP("bind-address", "127.0.0.1")},
		{name: "any ipv4", err: CheckIP("bind-address", "0.0.0.0")},
		{name: "ipv6", err: CheckIP("bind-address", "::1")},
		{name: "host name", err: CheckIP("bind-address", "localhost"), wantErr: `--bind-address: "localhost" is not an IP address`},
		{name: "empty ip", err: CheckIP("bind-address", ""), wantErr: `--bind-address: "" is not an IP address`},
		{name: "ip with port", err: CheckIP("bind-address", "127.0.0.1:80"), wantErr: "is not an IP address"},

		{name: "one endpoint", err: CheckEndpoints("apiserver", []string{"127.0.0.1:6443"})},
		{name: "named and ipv6 endpoints", err: CheckEndpoints("apiserver", []string{"localhost:6443", "[::1]:6443", "api.example:443"})},
		{name: "no endpoints", err: CheckEndpoints("apiserver", nil), wantErr: "--apiserver: at least one endpoint is required"},
		{
			name: "endpoint without port", err: CheckEndpoints("apiserver", []string{"127.0.0.1:6443", "127.0.0.1"}),
			wantErr: `--apiserver: endpoint "127.0.0.1"`,
		},
		{name: "endpoint without host", err: CheckEndpoints("apiserver", []string{":6443"}), wantErr: `endpoint ":6443" has no host`},
		{name: "endpoint port zero", err: CheckEndpoints("apiserver", []string{"127.0.0.1:0"}), wantErr: `port "0" is not a number from 1 to 65535`},
		{name: "endpoint named port", err: CheckEndpoints("apiserver", []string{"127.0.0.1:https"}), wantErr: `port "https"`},

		{name: "positive duration", err: CheckPositive("shutdown-timeout", time.Second)},
		{name: "zero duration", err: CheckPositive("shutdown-timeout", 0), wantErr: "--shutdown-timeout: 0s is not a positive duration"},
		{name: "negative duration", err: CheckPositive("shutdown-timeout", -time.Second), wantErr: "-1s is not a positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr == "" {
				require.NoError(t, tt.err)
				return
			}
			require.ErrorContains(t, tt.err, tt.wantErr)
		})
	}
}

func TestNodeName(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	tests := []struct {
		override string
		want     string
		wantErr  string
	}{
		{override: "node-1", want: "node-1"},
		{override: "  Node-A.Example ", want: "node-a.example"},
		{override: "", want: strings.ToLower(strings.TrimSpace(host))},
		{override: "   ", wantErr: "--hostname-override: node name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.override, func(t *testing.T) {
			got, err := NodeName(tt.override)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
