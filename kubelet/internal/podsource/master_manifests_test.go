package podsource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestMasterManifestsDecode decodes the master's static pods of deploy/static-pods/master/ with
// the decoder the kubelet reads its manifest directory with: each is one valid pod in
// kube-system, on the host network, whose config, certificates (and data, where it keeps any)
// come from hostPath volumes that its container mounts.
func TestMasterManifestsDecode(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "deploy", "static-pods", "master")
	tests := []struct {
		file, pod string
		hostPaths []string
	}{
		{file: "etcd.yaml", pod: "etcd", hostPaths: []string{"/etc/keelson/etcd.env", "/etc/keelson/pki/etcd", "/var/lib/keelson/etcd"}},
		{file: "apiserver.yaml", pod: "kube-apiserver", hostPaths: []string{"/etc/keelson/apiserver.env", "/etc/keelson/pki", "/var/lib/keelson/apiserver", "/var/log/keelson"}},
		{file: "controller-manager.yaml", pod: "kube-controller-manager", hostPaths: []string{"/etc/keelson/controller-manager.env", "/etc/keelson/controller-manager.kubeconfig", "/etc/keelson/pki"}},
		{file: "scheduler.yaml", pod: "kube-scheduler", hostPaths: []string{"/etc/keelson/scheduler.env", "/etc/keelson/scheduler.kubeconfig", "/etc/keelson/pki"}},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every manifest in %s is tested", dir)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			require.NoError(t, err)
			pods, errs := DecodeManifests(scheme.Builtin(), data)
			require.Empty(t, errs)
			require.Len(t, pods, 1)
			pod := pods[0]
			require.Equal(t, tt.pod, pod.GetMetadata().GetName())
			require.Equal(t, "kube-system", pod.GetMetadata().GetNamespace())
			require.True(t, pod.GetSpec().GetHostNetwork())
			require.Len(t, pod.GetSpec().GetContainers(), 1)
			c := pod.GetSpec().GetContainers()[0]
			require.NotEmpty(t, c.GetCommand(), "the process runtime runs the command")
			require.NotNil(t, c.GetLivenessProbe())

			hostPaths := map[string]string{} // volume name -> host path
			for _, v := range pod.GetSpec().GetVolumes() {
				require.NotNil(t, v.GetHostPath(), "volume %s is a hostPath", v.GetName())
				hostPaths[v.GetName()] = v.GetHostPath().GetPath()
			}
			var mounted []string
			for _, m := range c.GetVolumeMounts() {
				p, ok := hostPaths[m.GetName()]
				require.True(t, ok, "mount %s names a volume", m.GetName())
				require.Equal(t, p, m.GetMountPath(), "a host process sees the host's paths: mount %s where it is", m.GetName())
				mounted = append(mounted, p)
			}
			require.ElementsMatch(t, tt.hostPaths, mounted)
			for _, p := range mounted {
				if strings.HasSuffix(p, ".env") {
					require.Contains(t, strings.Join(c.GetCommand(), " "), p, "the command reads its env file")
				}
			}
		})
	}
}
