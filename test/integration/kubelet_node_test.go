package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func nodeCondition(n *corev1.Node, typ string) *corev1.NodeCondition {
	for _, c := range n.GetStatus().GetConditions() {
		if c.Type == typ {
			return c
		}
	}
	return nil
}

func getNode(c *client.Client, name string) *corev1.Node {
	n, err := c.Nodes().Get(context.Background(), name)
	if err != nil {
		return nil
	}
	return n
}

func TestKubeletRegistersItsNode(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{
		NodeName: "worker-1", NodeIP: "127.0.77.1",
		Configure: func(cfg *kubeletserver.Config) {
			cfg.NodeLabels = []string{"tier=edge", "zone=a"}
			cfg.RegisterWithTaints = []string{"dedicated=infra:NoSchedule"}
			cfg.SystemReserved = []string{"cpu=100m", "memory=100Mi"}
			cfg.MaxPods = 50
		},
	})

	var node *corev1.Node
	framework.Eventually(t, 30*time.Second, func() bool {
		node = getNode(c, "worker-1")
		r := nodeCondition(node, "Ready")
		return r != nil && r.Status == "True"
	}, "node worker-1 registered and Ready")

	labels := node.Metadata.Labels
	require.Equal(t, "edge", labels["tier"])
	require.Equal(t, "a", labels["zone"])
	require.Equal(t, "worker-1", labels["kubernetes.io/hostname"])
	require.Equal(t, runtime.GOOS, labels["kubernetes.io/os"])
	require.Equal(t, runtime.GOARCH, labels["kubernetes.io/arch"])
	require.Len(t, node.Spec.Taints, 1)
	require.Equal(t, "dedicated", node.Spec.Taints[0].Key)
	require.Equal(t, "infra", node.Spec.Taints[0].Value)
	require.Equal(t, "NoSchedule", node.Spec.Taints[0].Effect)

	st := node.Status
	addrs := map[string]string{}
	for _, a := range st.Addresses {
		addrs[a.Type] = a.Address
	}
	require.Equal(t, map[string]string{"InternalIP": "127.0.77.1", "Hostname": "worker-1"}, addrs)
	_, port, err := net.SplitHostPort(k.Server.APIAddr().String())
	require.NoError(t, err)
	require.Equal(t, port, strconv.Itoa(int(st.DaemonEndpoints.KubeletEndpoint.Port)))
	require.Equal(t, strconv.Itoa(runtime.NumCPU()), st.Capacity["cpu"])
	require.Equal(t, "50", st.Capacity["pods"])
	require.NotEmpty(t, st.Capacity["memory"])
	require.NotEmpty(t, st.Capacity["ephemeral-storage"])
	require.Equal(t, fmt.Sprintf("%dm", runtime.NumCPU()*1000-100), st.Allocatable["cpu"])
	for _, typ := range []string{"MemoryPressure", "DiskPressure", "PIDPressure"} {
		require.NotNil(t, nodeCondition(node, typ), typ)
	}
	info := st.NodeInfo
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(boot)), info.BootId)
	require.NotEmpty(t, info.KernelVersion)
	require.NotEmpty(t, info.OsImage)
	require.NotEmpty(t, info.KubeletVersion)
	require.Equal(t, runtime.GOOS, info.OperatingSystem)
	require.Equal(t, runtime.GOARCH, info.Architecture)

	// The status is posted again at least every second: the heartbeat moves.
	beat := nodeCondition(node, "Ready").LastHeartbeatTime.AsTime()
	framework.Eventually(t, 15*time.Second, func() bool {
		n := getNode(c, "worker-1")
		return n != nil && nodeCondition(n, "Ready").LastHeartbeatTime.AsTime().After(beat)
	}, "the Ready heartbeat to move")

	t.Run("lease renewed", func(t *testing.T) {
		var first time.Time
		framework.Eventually(t, 15*time.Second, func() bool {
			l, err := c.Leases("kube-node-lease").Get(context.Background(), "worker-1")
			if err != nil || len(l.GetMetadata().GetOwnerReferences()) == 0 {
				return false
			}
			require.Equal(t, "worker-1", l.Spec.GetHolderIdentity())
			require.Equal(t, int32(4), l.Spec.GetLeaseDurationSeconds())
			require.Equal(t, node.Metadata.Uid, l.Metadata.OwnerReferences[0].Uid)
			first = l.Spec.RenewTime.AsTime()
			return true
		}, "the node's lease with its owner")
		framework.Eventually(t, 15*time.Second, func() bool {
			l, err := c.Leases("kube-node-lease").Get(context.Background(), "worker-1")
			return err == nil && l.Spec.RenewTime.AsTime().After(first)
		}, "the lease renewed")
	})

	t.Run("deleted node registers again", func(t *testing.T) {
		require.NoError(t, c.Nodes().Delete(context.Background(), "worker-1"))
		framework.Eventually(t, 30*time.Second, func() bool {
			n := getNode(c, "worker-1")
			return n != nil && n.Metadata.Uid != node.Metadata.Uid && nodeCondition(n, "Ready") != nil
		}, "worker-1 registered again with its status")
	})
}

func TestKubeletAdoptsAnExistingNode(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	_, err := c.Nodes().Create(context.Background(), &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: "worker-2", Labels: map[string]string{"kept": "yes", "kubernetes.io/hostname": "stale"}},
	})
	require.NoError(t, err)
	framework.StartKubelet(t, cluster, framework.KubeletOptions{NodeName: "worker-2"})
	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, "worker-2")
		return n != nil && n.Metadata.Labels["kubernetes.io/hostname"] == "worker-2" && nodeCondition(n, "Ready") != nil
	}, "the existing node adopted")
	require.Equal(t, "yes", getNode(c, "worker-2").Metadata.Labels["kept"])
}

// TestKubeletRunsStaticPodsWithoutTheAPIServer starts a kubelet while the apiserver is down: its
// static pods are desired at once, and once the apiserver is back the node registers and the
// mirror pods appear.
func TestKubeletRunsStaticPodsWithoutTheAPIServer(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	cluster.StopAPIServer(0)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etcd.yaml"), []byte(fmt.Sprintf(staticPodManifest, "etcd", "1")), 0o600))
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{
		NodeName:  "worker-3",
		Configure: func(cfg *kubeletserver.Config) { cfg.PodManifestPath = dir },
	})
	framework.Eventually(t, 30*time.Second, func() bool { return desired(k)["kube-system/etcd-worker-3"] != nil },
		"the static pod desired with no apiserver")
	cluster.StartAPIServer(0)
	c := cluster.Client()
	framework.Eventually(t, 60*time.Second, func() bool {
		n := getNode(c, "worker-3")
		return n != nil && nodeCondition(n, "Ready") != nil
	}, "the node registered once the apiserver is back")
	framework.Eventually(t, 60*time.Second, func() bool { return mirrorOf(c, "kube-system", "etcd-worker-3") != nil },
		"the mirror pod once the apiserver is back")
}

const staticPodManifest = `apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: kube-system
spec:
  containers:
  - name: app
    image: registry.local/app:%s
    command: ["sleep", "3600"]
`

// mirrorOf returns the mirror pod of a static pod, or nil.
func mirrorOf(c *client.Client, ns, name string) *corev1.Pod {
	p, err := c.Pods(ns).Get(context.Background(), name)
	if err != nil || p.Metadata.DeletionTimestamp != nil {
		return nil
	}
	return p
}

func desired(k *framework.Kubelet) map[string]*corev1.Pod {
	out := map[string]*corev1.Pod{}
	for _, p := range k.DesiredPods() {
		out[p.Metadata.Namespace+"/"+p.Metadata.Name] = p
	}
	return out
}

// manifestServer serves a manifest that the test can change.
type manifestServer struct {
	mu      sync.Mutex
	body    string
	headers []string
}

func (m *manifestServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.headers = append(m.headers, r.Header.Get("X-Token"))
	_, _ = io.WriteString(w, m.body)
}

func (m *manifestServer) sawHeader(v string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.headers {
		if h == v {
			return true
		}
	}
	return false
}

func TestKubeletStaticAndMirrorPods(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	dir := t.TempDir()
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600))
	}
	write("file-pod.yaml", fmt.Sprintf(staticPodManifest, "from-file", "1"))
	ms := &manifestServer{body: fmt.Sprintf(staticPodManifest, "from-url", "1")}
	url := httptest.NewServer(ms)
	defer url.Close()

	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{
		NodeName: "static-1",
		Configure: func(cfg *kubeletserver.Config) {
			cfg.PodManifestPath = dir
			cfg.ManifestURL = url.URL
			cfg.ManifestURLHeader = []string{"X-Token: secret"}
		},
	})

	resp, err := k.HTTPClient(t).Post(k.URL()+"/manifests", "application/yaml", //nolint:noctx // loopback test server
		strings.NewReader(fmt.Sprintf(staticPodManifest, "from-post", "1")))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))

	// An API pod bound to the node joins the desired set too.
	_, err = c.Pods("default").Create(context.Background(), &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: "api-pod"},
		Spec:     &corev1.PodSpec{NodeName: "static-1", Containers: []*corev1.Container{{Name: "app", Image: "registry.local/app:1"}}},
	})
	require.NoError(t, err)

	node := ""
	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, "static-1")
		if n == nil {
			return false
		}
		node = n.Metadata.Uid
		return true
	}, "node registered")

	mirrors := map[string]*corev1.Pod{}
	for _, name := range []string{"from-file-static-1", "from-url-static-1", "from-post-static-1"} {
		framework.Eventually(t, 30*time.Second, func() bool {
			mirrors[name] = mirrorOf(c, "kube-system", name)
			return mirrors[name] != nil
		}, "mirror pod %s", name)
		m := mirrors[name]
		static := desired(k)["kube-system/"+name]
		require.NotNil(t, static, "static pod %s in the desired set", name)
		require.Equal(t, static.Metadata.Annotations["kubernetes.io/config.hash"], m.Metadata.Annotations["kubernetes.io/config.mirror"])
		require.Equal(t, "static-1", m.Spec.NodeName)
		require.Equal(t, "Node", m.Metadata.OwnerReferences[0].Kind)
		require.Equal(t, node, m.Metadata.OwnerReferences[0].Uid)
	}
	require.Equal(t, "file", desired(k)["kube-system/from-file-static-1"].Metadata.Annotations["kubernetes.io/config.source"])
	require.Equal(t, "http", desired(k)["kube-system/from-url-static-1"].Metadata.Annotations["kubernetes.io/config.source"])
	require.True(t, ms.sawHeader("secret"), "the manifest URL gets --manifest-url-header")
	framework.Eventually(t, 30*time.Second, func() bool {
		p := desired(k)["default/api-pod"]
		return p != nil && p.Metadata.Annotations["kubernetes.io/config.source"] == "api"
	}, "the API pod in the desired set")
	require.Len(t, desired(k), 4, "three static pods and the API pod; mirrors are not desired pods")

	t.Run("deleted mirror is recreated and the static pod stays", func(t *testing.T) {
		staticUID := desired(k)["kube-system/from-file-static-1"].Metadata.Uid
		old := mirrors["from-file-static-1"]
		require.NoError(t, c.Pods("kube-system").Delete(context.Background(), "from-file-static-1"))
		framework.Eventually(t, 30*time.Second, func() bool {
			m := mirrorOf(c, "kube-system", "from-file-static-1")
			return m != nil && m.Metadata.Uid != old.Metadata.Uid && m.GetStatus().GetPhase() == "Running"
		}, "the mirror recreated, with the static pod's status")
		require.Equal(t, staticUID, desired(k)["kube-system/from-file-static-1"].Metadata.Uid, "the static pod did not change")
	})

	t.Run("edited manifest replaces the mirror", func(t *testing.T) {
		oldHash := desired(k)["kube-system/from-file-static-1"].Metadata.Annotations["kubernetes.io/config.hash"]
		write("file-pod.yaml", fmt.Sprintf(staticPodManifest, "from-file", "2"))
		var newHash string
		framework.Eventually(t, 30*time.Second, func() bool {
			p := desired(k)["kube-system/from-file-static-1"]
			newHash = p.Metadata.Annotations["kubernetes.io/config.hash"]
			return newHash != oldHash
		}, "the static pod's new version")
		framework.Eventually(t, 30*time.Second, func() bool {
			m := mirrorOf(c, "kube-system", "from-file-static-1")
			return m != nil && m.Metadata.Annotations["kubernetes.io/config.mirror"] == newHash &&
				m.Spec.Containers[0].Image == "registry.local/app:2"
		}, "the mirror with the new hash")
	})

	t.Run("edited URL manifest replaces its mirror", func(t *testing.T) {
		ms.mu.Lock()
		ms.body = fmt.Sprintf(staticPodManifest, "from-url", "3")
		ms.mu.Unlock()
		framework.Eventually(t, 30*time.Second, func() bool {
			m := mirrorOf(c, "kube-system", "from-url-static-1")
			return m != nil && m.Spec.Containers[0].Image == "registry.local/app:3"
		}, "the URL pod's mirror updated")
	})

	t.Run("bad manifest is reported and leaves the others", func(t *testing.T) {
		write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containerz: []\n")
		framework.Eventually(t, 30*time.Second, func() bool {
			evs, err := c.Events("default").List(context.Background(), client.ListOptions{})
			if err != nil {
				return false
			}
			for _, ev := range evs.Items {
				if ev.Reason == "FailedToParseManifest" && strings.Contains(ev.Message, filepath.Join(dir, "bad.yaml")) &&
					strings.Contains(ev.Message, "spec.containerz") && ev.InvolvedObject.GetKind() == "Node" {
					return true
				}
			}
			return false
		}, "an Event naming the bad file and field")
		require.Contains(t, desired(k), "kube-system/from-file-static-1")
		require.NotNil(t, mirrorOf(c, "kube-system", "from-file-static-1"))
		require.Len(t, desired(k), 4)
	})

	t.Run("removed manifest deletes the mirror", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(dir, "file-pod.yaml")))
		framework.Eventually(t, 30*time.Second, func() bool {
			_, err := c.Pods("kube-system").Get(context.Background(), "from-file-static-1")
			return apierrors.IsNotFound(err)
		}, "the mirror deleted")
		require.NotContains(t, desired(k), "kube-system/from-file-static-1")

		req, err := http.NewRequest(http.MethodDelete, k.URL()+"/manifests/kube-system/from-post-static-1", nil) //nolint:noctx // loopback test server
		require.NoError(t, err)
		resp, err := k.HTTPClient(t).Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		framework.Eventually(t, 30*time.Second, func() bool {
			_, err := c.Pods("kube-system").Get(context.Background(), "from-post-static-1")
			return apierrors.IsNotFound(err)
		}, "the posted pod's mirror deleted")
	})
}
