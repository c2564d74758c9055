package registry

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

func TestDeletePropagation(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		opts DeleteOptions
		want string
		bad  bool
	}{
		{"none", DeleteOptions{}, "", false},
		{"orphan", DeleteOptions{PropagationPolicy: PropagationOrphan}, PropagationOrphan, false},
		{"background", DeleteOptions{PropagationPolicy: PropagationBackground}, PropagationBackground, false},
		{"foreground", DeleteOptions{PropagationPolicy: PropagationForeground}, PropagationForeground, false},
		{"orphanDependents true", DeleteOptions{OrphanDependents: &yes}, PropagationOrphan, false},
		{"orphanDependents false", DeleteOptions{OrphanDependents: &no}, PropagationBackground, false},
		{"the policy wins over orphanDependents", DeleteOptions{PropagationPolicy: PropagationForeground, OrphanDependents: &yes}, PropagationForeground, false},
		{"unknown", DeleteOptions{PropagationPolicy: "Sideways"}, "", true},
		{"wrong case", DeleteOptions{PropagationPolicy: "orphan"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.propagation()
			if tc.bad {
				require.True(t, apierrors.IsBadRequest(err), "got %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseDryRun(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
		bad    bool
	}{
		{"none", nil, false, false},
		{"all", []string{"All"}, true, false},
		{"all twice", []string{"All", "All"}, true, false},
		{"other", []string{"Some"}, false, true},
		{"all and other", []string{"All", ""}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDryRun(tc.values)
			if tc.bad {
				require.True(t, apierrors.IsBadRequest(err), "got %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestManagerFromUserAgent(t *testing.T) {
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct{ ua, want string }{
		{"kubectl/v1.31.0 (linux/amd64) kubernetes/abc", "kubectl"},
		{"keelson-scheduler grpc-go/1.70.0", "keelson-scheduler"},
		{"keelson-kubelet/1.0 grpc-go/1.70.0", "keelson-kubelet"},
		{"grpc-go/1.70.0", "grpc-go"},
		{"", ""},
		{string(long), string(long[:128])},
	}
	for _, tc := range tests {
		t.Run(tc.ua, func(t *testing.T) {
			require.Equal(t, tc.want, ManagerFromUserAgent(tc.ua))
		})
	}
}
