package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/pki"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// authBenchNamespace is where the clusters of BenchmarkPodCreatesTLSRBAC create their pods, and
// where the secure clusters' user is an editor.
const authBenchNamespace = "bench"

// authBenchUser is the secure clusters' creating identity: an ordinary user, in no group but
// system:authenticated, whom only a RoleBinding lets create pods.
const authBenchUser = "bench-user"

// BenchmarkPodCreatesTLSRBAC measures pod creates per second through the gRPC API of an apiserver
// serving TLS with Node,RBAC authorization, as an ordinary user whom a RoleBinding to the edit
// ClusterRole lets create pods in the namespace, next to the same creates through an apiserver
// serving plain text with AlwaysAllow, in the same run. The two run in alternating order, several
// rounds each on a fresh cluster, and the medians are compared: the target is a secure rate of at
// least 0.9 of the plain one, which connection reuse (one TLS connection, its client certificate
// verified once at the handshake) and the authorizer's cached decisions are there to reach. The
// ratio is a figure, not an assertion.
func BenchmarkPodCreatesTLSRBAC(b *testing.B) {
	const rounds, n, conc = 5, 3000, 64
	const target = 0.9
	var plainRates, secureRates []float64
	for r := 0; r < rounds; r++ {
		// Alternate which goes first, so that neither always runs on the warmer machine.
		if r%2 == 0 {
			plainRates = append(plainRates, podCreates(b, false, n, conc))
			secureRates = append(secureRates, podCreates(b, true, n, conc))
		} else {
			secureRates = append(secureRates, podCreates(b, true, n, conc))
			plainRates = append(plainRates, podCreates(b, false, n, conc))
		}
	}
	plainMedian, secureMedian := median(plainRates), median(secureRates)
	ratio := secureMedian / plainMedian
	b.ReportMetric(plainMedian, "plain-creates/s")
	b.ReportMetric(secureMedian, "tls-rbac-creates/s")
	b.ReportMetric(ratio, "tls-rbac/plain")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("pod create, concurrency %d, %d pods a round, median of %d rounds: %.0f creates/s with TLS + Node,RBAC as %s, %.0f plain text with AlwaysAllow: ratio %.2f (target >= %.1f); rounds plain %s, secure %s\n",
		conc, n, rounds, secureMedian, authBenchUser, plainMedian, ratio, target, rates(plainRates), rates(secureRates))
}

// podCreates starts a cluster, creates n pods in the benchmark's namespace at concurrency conc
// and returns the rate, having stopped the cluster again. A secure cluster serves TLS with
// Node,RBAC and the pods are created by authBenchUser, an editor of the namespace; a plain one
// serves plain text with AlwaysAllow. Each round has a cluster of its own, so every round starts
// from the same empty store.
func podCreates(b *testing.B, secure bool, n, conc int) float64 {
	b.Helper()
	scope := newCleanupScope(b)
	defer scope.close()
	opts := framework.Options{PlainText: true, Configure: func(cfg *server.Config) {
		cfg.AuthorizationModes = []string{server.ModeAlwaysAllow}
	}}
	if secure {
		opts = framework.Options{Configure: func(cfg *server.Config) {
			cfg.AuthorizationModes = []string{server.ModeNode, server.ModeRBAC}
		}}
	}
	cl := framework.StartCluster(scope, opts)
	// Straight to the apiserver, as the other create benchmarks go: no test proxy.
	addr := cl.APIServer(0).Addr().String()
	c := cl.Client(addr)
	createNamespace(b, c)
	if secure {
		bindEditor(b, c, authBenchUser)
		c = userClient(scope, cl, addr, authBenchUser)
		waitAllowed(b, c)
	}
	pods := c.Pods(authBenchNamespace)
	ctx := context.Background()
	return run(b, n, conc, func(i int) error {
		_, err := pods.Create(ctx, benchPod(fmt.Sprintf("p-%05d", i)))
		return err
	})
}

// cleanupScope is a testing.TB whose cleanups run when close is called (or, at the latest, when
// the benchmark ends), so that a benchmark can start and stop clusters one after another: each
// cluster's goroutine leak check then runs while no other cluster is up.
type cleanupScope struct {
	*testing.B
	cleanups []func()
}

func newCleanupScope(b *testing.B) *cleanupScope {
	b.Helper()
	s := &cleanupScope{B: b}
	b.Cleanup(s.close)
	return s
}

// Cleanup registers fn to run at close, after the functions registered after it.
func (s *cleanupScope) Cleanup(fn func()) { s.cleanups = append(s.cleanups, fn) }

// close runs the registered cleanups, last first; a second call does nothing.
func (s *cleanupScope) close() {
	for len(s.cleanups) > 0 {
		fn := s.cleanups[len(s.cleanups)-1]
		s.cleanups = s.cleanups[:len(s.cleanups)-1]
		fn()
	}
}

// createNamespace creates the benchmark's namespace.
func createNamespace(b *testing.B, c *client.Client) {
	b.Helper()
	ns := &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: authBenchNamespace}}
	if _, err := c.Namespaces().Create(context.Background(), ns); err != nil {
		b.Fatalf("create namespace %s: %v", authBenchNamespace, err)
	}
}

// bindEditor binds the bootstrap edit ClusterRole to userName in the benchmark's namespace.
func bindEditor(b *testing.B, admin *client.Client, userName string) {
	b.Helper()
	rb := &rbacv1.RoleBinding{
		Metadata: &metav1.ObjectMeta{Name: userName + "-edit"},
		RoleRef:  &rbacv1.RoleRef{ApiGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"},
		Subjects: []*rbacv1.Subject{{Kind: "User", ApiGroup: "rbac.authorization.k8s.io", Name: userName}},
	}
	if _, err := admin.RoleBindings(authBenchNamespace).Create(context.Background(), rb); err != nil {
		b.Fatalf("bind %s to edit: %v", userName, err)
	}
}

// userClient returns a client of addr that presents a client certificate for userName, in no
// group, issued by cl's CA; it is closed when tb ends.
func userClient(tb testing.TB, cl *framework.Cluster, addr, userName string) *client.Client {
	tb.Helper()
	kp, err := cl.PKI().CA.Issue(pki.ClientSpec(userName))
	if err != nil {
		tb.Fatalf("client certificate for %s: %v", userName, err)
	}
	cfg := &tls.Config{
		RootCAs:      cl.PKI().CA.Pool(),
		Certificates: []tls.Certificate{kp.TLSCertificate()},
		MinVersion:   tls.VersionTLS12,
	}
	c, err := client.New(client.Config{Endpoints: []string{addr}, TLS: cfg})
	if err != nil {
		tb.Fatalf("client of %s: %v", userName, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// waitAllowed waits until c's user may create pods in the benchmark's namespace: the RBAC
// authorizer follows the new binding through a watch. The probe pod is deleted again.
func waitAllowed(b *testing.B, c *client.Client) {
	b.Helper()
	ctx := context.Background()
	pods := c.Pods(authBenchNamespace)
	var err error
	if !framework.Poll(30*time.Second, 20*time.Millisecond, func() bool {
		_, err = pods.Create(ctx, benchPod("probe"))
		return err == nil
	}) {
		b.Fatalf("the RoleBinding never let the user create pods: %v", err)
	}
	if err := pods.Delete(ctx, "probe"); err != nil {
		b.Fatalf("delete the probe pod: %v", err)
	}
}

// median returns the median of xs.
func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	sort.Float64s(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// rates prints a list of rates in their order.
func rates(xs []float64) string {
	s := "["
	for i, x := range xs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.0f", x)
	}
	return s + "]"
}
