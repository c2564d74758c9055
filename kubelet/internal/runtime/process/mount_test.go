package process

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// TestMountsAppearOnlyInTheContainer mounts a host directory read-only at a path the host does
// not have: the container and a command exec'd in it read the file there and cannot write, and
// the host's view is unchanged.
func TestMountsAppearOnlyInTheContainer(t *testing.T) {
	e := newEnv(t)
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "token"), []byte("secret-token"), 0o644))
	target := filepath.Join(t.TempDir(), "var", "run", "secrets", "kubernetes.io", "serviceaccount")
	sid, sb := e.sandbox("mounts", nil)
	ctx := context.Background()
	id, err := e.rt.CreateContainer(ctx, sid, &cri.ContainerConfig{
		Metadata: cri.ContainerMetadata{Name: "app"},
		Command:  []string{"sh", "-c", "cat " + target + "/token; echo; if echo x > " + target + "/new; then echo writable; else echo read-only; fi; sleep 300"},
		Env:      []cri.KeyValue{{Key: "PATH", Value: os.Getenv("PATH")}},
		LogPath:  "app/0.log",
		Labels:   map[string]string{cri.LabelContainer: "app"},
		Mounts:   []cri.Mount{{HostPath: src, ContainerPath: target, ReadOnly: true}},
	}, sb)
	require.NoError(t, err)
	require.NoError(t, e.rt.StartContainer(ctx, id))
	log := e.waitLog(id, "read-only")
	require.Contains(t, log, "secret-token")
	require.NotContains(t, log, "writable")

	res, err := e.rt.ExecSync(ctx, id, []string{"cat", target + "/token"}, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, "secret-token", string(res.Stdout), "an exec'd command sees the mount too")

	_, err = os.Stat(filepath.Join(target, "token"))
	require.ErrorIs(t, err, os.ErrNotExist, "the host does not see the mount")
	_, err = os.Stat(filepath.Join(src, "new"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseMount(t *testing.T) {
	tests := []struct {
		arg  string
		want cri.Mount
		ok   bool
	}{
		{"/a:/b", cri.Mount{HostPath: "/a", ContainerPath: "/b"}, true},
		{"/a:/b:ro", cri.Mount{HostPath: "/a", ContainerPath: "/b", ReadOnly: true}, true},
		{"/a:/b:rw", cri.Mount{}, false},
		{"/a", cri.Mount{}, false},
		{":/b", cri.Mount{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := parseMount(tt.arg)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.arg, mountArg(got))
		})
	}
}
