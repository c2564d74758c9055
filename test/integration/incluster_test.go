package integration

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	apiserver "github.com/keelson-dev/keelson/apiserver/server"
	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/pki"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
	proxyserver "github.com/keelson-dev/keelson/proxy/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestInClusterClientGoUsesTheMountedToken runs a client-go program (testdata/inclusterlist) as
// a pod on a secure cluster (TLS, Node and RBAC authorization, bound service account tokens) and
// reads what it gets when it lists the pods of its namespace with rest.InClusterConfig, which
// takes the mounted token and ca.crt and the KUBERNETES_SERVICE_HOST/PORT the kubelet sets from
// the kubernetes Service: 403 naming its service account while no RBAC rule lets it, the pod list
// once a RoleBinding does, and 401 once its service account is deleted, the binding still there.
//
// The pod reaches the apiserver the way a pod of a real cluster does: through the kubernetes
// Service's cluster IP, forwarded by a keelson-proxy to the Endpoints the apiserver keeps. The
// process runtime runs containers in the host's network namespace, so the proxy's listener on
// the cluster IP (a loopback address, in a service range of the test's own so that tests running
// at the same time do not contend for the same cluster IP and port 443) is what the pod dials.
func TestInClusterClientGoUsesTheMountedToken(t *testing.T) {
	helper := buildInClusterList(t)
	saKey := filepath.Join(t.TempDir(), "sa.key")
	writeServiceAccountKey(t, saKey)
	const issuer = "https://kubernetes.default.svc.cluster.local"
	cl := framework.StartCluster(t, framework.Options{
		ServiceClusterIPRange: fmt.Sprintf("127.96.%d.0/24", 1+rand.IntN(255)),
		Configure: func(cfg *apiserver.Config) {
			cfg.AuthorizationModes = []string{apiserver.ModeNode, apiserver.ModeRBAC}
			cfg.ServiceAccountKeyFiles, cfg.ServiceAccountIssuers = []string{saKey}, []string{issuer}
			cfg.TokenRequest.SigningKeyFile = saKey
		},
	})
	framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.Kubeconfig = cl.Kubeconfig(clusterpki.ControllerManagerName)
		cfg.Controllers.Controllers = []string{"root-ca-cert-publisher"}
		cfg.Controllers.RootCAFile = cl.PKI().CertFile(clusterpki.CAName)
	})
	framework.StartServiceProxy(t, cl.Endpoints(), framework.RandomLoopbackIP(97), func(cfg *proxyserver.Config) {
		cfg.Kubeconfig = cl.Kubeconfig(clusterpki.ProxyName)
	})
	k := framework.StartKubelet(t, cl, framework.KubeletOptions{})
	c := cl.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	framework.Eventually(t, 20*time.Second, func() bool {
		_, err := c.ConfigMaps("default").Get(ctx, "kube-root-ca.crt")
		return err == nil
	}, "the root CA is published")

	const account = "lister"
	_, err := c.ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{Metadata: meta(account, nil)})
	require.NoError(t, err)
	_, err = c.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("incluster", nil), Spec: &corev1.PodSpec{
		NodeName: k.Server.NodeName(), RestartPolicy: "Never", ServiceAccountName: account,
		Containers: []*corev1.Container{{Name: "main", Image: "inclusterlist",
			Command: []string{helper, "-interval", "200ms", "-for", "3m"}}},
	}})
	require.NoError(t, err)
	log := &podLogReader{t: t, cl: cl, pod: "incluster"}

	forbidden := `status 403 Forbidden: pods is forbidden: User "system:serviceaccount:default:lister" ` +
		`cannot list resource "pods" in API group "" in the namespace "default"`
	log.await(time.Minute, "a 403 without a RoleBinding", func(l string) bool { return l == forbidden })

	_, err = c.Roles("default").Create(ctx, &rbacv1.Role{Metadata: meta("pod-lister", nil),
		Rules: []*rbacv1.PolicyRule{{Verbs: []string{"list"}, ApiGroups: []string{""}, Resources: []string{"pods"}}}})
	require.NoError(t, err)
	_, err = c.RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{Metadata: meta("pod-lister", nil),
		RoleRef:  &rbacv1.RoleRef{ApiGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-lister"},
		Subjects: []*rbacv1.Subject{{Kind: "ServiceAccount", Name: account, Namespace: "default"}}})
	require.NoError(t, err)
	log.await(30*time.Second, "the pod list once a RoleBinding allows it", func(l string) bool { return l == "pods incluster" })
	// The binding holds: the next lists succeed too.
	log.await(10*time.Second, "a second pod list", func(l string) bool { return l == "pods incluster" })

	require.NoError(t, c.ServiceAccounts("default").Delete(ctx, account))
	log.await(30*time.Second, "a 401 once the service account is deleted", func(l string) bool {
		return strings.HasPrefix(l, "status 401 Unauthorized")
	})
	// It stays refused: the token is not valid again a moment later.
	log.await(10*time.Second, "a second 401", func(l string) bool { return strings.HasPrefix(l, "status 401 Unauthorized") })
	_, err = c.RoleBindings("default").Get(ctx, "pod-lister")
	require.NoError(t, err, "the binding still names the account: the token itself is refused")
}

// buildInClusterList builds testdata/inclusterlist into the test's temporary directory and
// returns the binary's path.
func buildInClusterList(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go tool builds the in-cluster helper")
	out := filepath.Join(t.TempDir(), "inclusterlist")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", "inclusterlist")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build testdata/inclusterlist: %s", msg)
	return out
}

// writeServiceAccountKey writes a new service account signing key to file.
func writeServiceAccountKey(t *testing.T, file string) {
	t.Helper()
	key, err := pki.NewKey()
	require.NoError(t, err)
	data, err := pki.EncodeKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, data, 0o600))
}

// podLogReader reads a pod's log through the apiserver of a TLS cluster, as the admin, line by
// line: each await looks only at the lines after those earlier awaits consumed.
type podLogReader struct {
	t    *testing.T
	cl   *framework.Cluster
	pod  string
	seen int // lines consumed
}

// await polls the log until a line after the consumed ones matches, consumes up to it and
// returns; it fails the test with the lines read after timeout.
func (r *podLogReader) await(timeout time.Duration, what string, match func(string) bool) {
	r.t.Helper()
	var lines []string
	found := framework.Poll(timeout, 200*time.Millisecond, func() bool {
		lines = r.lines()
		for i := r.seen; i < len(lines); i++ {
			if match(lines[i]) {
				r.seen = i + 1
				r.t.Logf("pod %s: %s", r.pod, lines[i])
				return true
			}
		}
		return false
	})
	if !found {
		tail := lines[min(r.seen, len(lines)):]
		if len(tail) > 20 {
			tail = tail[len(tail)-20:]
		}
		r.t.Fatalf("pod %s: no %s after %s; its last lines:\n%s", r.pod, what, timeout, strings.Join(tail, "\n"))
	}
}

// lines returns the complete lines of the log, none while it cannot be read yet.
func (r *podLogReader) lines() []string {
	r.t.Helper()
	hc := r.cl.HTTPClient()
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cl.URL(0)+"/api/v1/namespaces/default/pods/"+r.pod+"/log", nil)
	require.NoError(r.t, err)
	resp, err := hc.Do(req)
	if err != nil {
		return nil
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	// A line still being written is left for the next read.
	end := strings.LastIndexByte(string(body), '\n')
	if end < 0 {
		return nil
	}
	return strings.Split(string(body[:end]), "\n")
}
