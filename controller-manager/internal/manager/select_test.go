package manager

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelect(t *testing.T) {
	known := []string{"endpoints", "replicaset", "replicationcontroller"}
	tests := []struct {
		name    string
		list    []string
		want    []string
		wantErr []string
	}{
		{name: "default is everything", list: []string{"*"}, want: known},
		{name: "empty runs nothing", list: nil, want: nil},
		{name: "disable one", list: []string{"*", "-replicaset"}, want: []string{"endpoints", "replicationcontroller"}},
		{name: "disable before star", list: []string{"-replicaset", "*"}, want: []string{"endpoints", "replicationcontroller"}},
		{name: "enable only named", list: []string{"replicaset"}, want: []string{"replicaset"}},
		{name: "enable two keeps known order", list: []string{"replicationcontroller", "endpoints"}, want: []string{"endpoints", "replicationcontroller"}},
		{name: "first of name and -name wins", list: []string{"replicaset", "-replicaset", "-endpoints", "endpoints"}, want: []string{"replicaset"}},
		{name: "disable without star runs nothing", list: []string{"-replicaset"}, want: nil},
		{name: "spaces are trimmed", list: []string{" * ", " -endpoints"}, want: []string{"replicaset", "replicationcontroller"}},
		{name: "unknown name", list: []string{"*", "replicaset", "deployment"},
			wantErr: []string{"--controllers", `"deployment"`, "known controllers: endpoints, replicaset, replicationcontroller"}},
		{name: "unknown disabled name", list: []string{"*", "-nodelifecycle", "bogus"}, wantErr: []string{`"-nodelifecycle", "bogus"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.list, known)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, s := range tt.wantErr {
					require.ErrorContains(t, err, s)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	known := []string{"replicaset"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "unknown controller", mutate: func(c *Config) { c.Controllers = []string{"nope"} }, wantErr: "--controllers"},
		{name: "replicaset workers", mutate: func(c *Config) { c.ConcurrentReplicaSetSyncs = 0 }, wantErr: "--concurrent-replicaset-syncs"},
		{name: "rc workers", mutate: func(c *Config) { c.ConcurrentRCSyncs = -1 }, wantErr: "--concurrent-rc-syncs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate(known)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
