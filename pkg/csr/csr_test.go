package csr

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestX509Usages(t *testing.T) {
	cases := []struct {
		name   string
		usages []string
		ku     x509.KeyUsage
		eku    []x509.ExtKeyUsage
		err    bool
	}{
		{"kubelet client", KubeletClientUsages, x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false},
		{"serving", []string{UsageKeyEncipherment, UsageDigitalSignature, UsageServerAuth},
			x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false},
		{"email protection once", []string{UsageEmailProtection, UsageSMIME}, 0, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, false},
		{"unknown", []string{"flying"}, 0, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ku, eku, err := X509Usages(tc.usages)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.ku, ku)
			require.Equal(t, tc.eku, eku)
		})
	}
}

func TestSignerNames(t *testing.T) {
	for name, want := range map[string][2]bool{ // known, reserved
		KubeAPIServerClientKubeletSigner: {true, true},
		KubeletServingSigner:             {true, true},
		LegacyUnknownSigner:              {false, true},
		"sub.kubernetes.io/x":            {false, true},
		"example.com/x":                  {false, false},
		"notkubernetes.io/x":             {false, false},
	} {
		require.Equal(t, want[0], KnownSigner(name), name)
		require.Equal(t, want[1], ReservedSigner(name), name)
	}
}

func TestNodeName(t *testing.T) {
	n, ok := NodeName("system:node:n1")
	require.True(t, ok)
	require.Equal(t, "n1", n)
	_, ok = NodeName("system:node:")
	require.False(t, ok)
	_, ok = NodeName("alice")
	require.False(t, ok)
}
