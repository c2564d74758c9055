package integration

import (
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	k8scorev1 "k8s.io/api/core/v1"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/test/framework"
)

// countingTransport counts the LISTs (GETs without watch=true) and WATCHes client-go sends.
type countingTransport struct {
	next           http.RoundTripper
	lists, watches atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true" {
		c.watches.Add(1)
	} else if r.Method == http.MethodGet {
		c.lists.Add(1)
	}
	return c.next.RoundTrip(r)
}

// restClientset returns a client-go clientset of cl's replica i, as the admin, and the transport
// counting its requests.
func restClientset(t *testing.T, cl *framework.Cluster, i int) (*kubernetes.Clientset, *countingTransport) {
	t.Helper()
	ct := &countingTransport{}
	p := cl.PKI()
	// The certificates' contents, not their files: client-go would watch files for rotation in a
	// goroutine that outlives the test.
	read := func(file string) []byte {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		return b
	}
	cfg := &rest.Config{Host: cl.URL(i), WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
		ct.next = rt
		return ct
	}, TLSClientConfig: rest.TLSClientConfig{
		CAData:   read(p.CertFile(clusterpki.CAName)),
		CertData: read(p.CertFile(clusterpki.AdminName)), KeyData: read(p.KeyFile(clusterpki.AdminName)),
	}}
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return cs, ct
}

func restPod(name string) *k8scorev1.Pod {
	return &k8scorev1.Pod{
		ObjectMeta: k8smetav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "inf"}},
		Spec:       k8scorev1.PodSpec{Containers: []k8scorev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

// TestRESTInformerResumesAndRelistsAfterGone runs a client-go pod informer against replica 0's REST
// edge while writes go through replica 1. After a short outage of replica 0 the informer comes back
// (client-go decides by the error whether it resumes or relists); after an outage longer than the
// watch cache holds, it must relist. Either way it converges on the stored pods.
func TestRESTInformerResumesAndRelistsAfterGone(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2, Configure: func(c *server.Config) { c.WatchCacheSize = 20 }})
	ctx := testContext(t)
	informerCS, counts := restClientset(t, cl, 0)
	writer, _ := restClientset(t, cl, 1)
	pods := writer.CoreV1().Pods("default")

	factory := informers.NewSharedInformerFactoryWithOptions(informerCS, 0, informers.WithNamespace("default"))
	inf := factory.Core().V1().Pods().Informer()
	stop := make(chan struct{})
	factory.Start(stop)
	defer factory.Shutdown()
	defer close(stop)
	require.True(t, cache.WaitForCacheSync(ctx.Done(), inf.HasSynced))

	converged := func(want ...string) {
		t.Helper()
		framework.Eventually(t, 20*time.Second, func() bool {
			keys := inf.GetStore().ListKeys()
			if len(keys) != len(want) {
				return false
			}
			for _, w := range want {
				if _, ok, _ := inf.GetStore().GetByKey("default/" + w); !ok {
					return false
				}
			}
			return true
		}, "the informer did not converge on %v (has %v; %d lists, %d watches)", want, inf.GetStore().ListKeys(), counts.lists.Load(), counts.watches.Load())
	}

	_, err := pods.Create(ctx, restPod("a"), k8smetav1.CreateOptions{})
	require.NoError(t, err)
	converged("a")

	// A short outage: the informer's watch ends and resumes from its last version.
	cl.StopAPIServer(0)
	_, err = pods.Create(ctx, restPod("b"), k8smetav1.CreateOptions{})
	require.NoError(t, err)
	cl.StartAPIServer(0)
	converged("a", "b")
	lists := counts.lists.Load()

	// A long outage: more changes than replica 0's new watch cache holds, so the resumed watch is
	// Gone and the informer relists.
	cl.StopAPIServer(0)
	require.NoError(t, pods.Delete(ctx, "a", k8smetav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}))
	for i := range 30 {
		_, err := pods.Create(ctx, restPod(fmt.Sprintf("c%d", i)), k8smetav1.CreateOptions{})
		require.NoError(t, err)
	}
	for i := range 29 {
		require.NoError(t, pods.Delete(ctx, fmt.Sprintf("c%d", i), k8smetav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}))
	}
	cl.StartAPIServer(0)
	// Replica 0's cache starts at the current revision; one more change moves it past the informer.
	for i := range 25 {
		_, err := pods.Patch(ctx, "b", "application/merge-patch+json", fmt.Appendf(nil, `{"metadata":{"labels":{"n":"%d"}}}`, i), k8smetav1.PatchOptions{})
		require.NoError(t, err)
	}
	converged("b", "c29")
	framework.Eventually(t, 20*time.Second, func() bool { return counts.lists.Load() > lists }, "the informer did not relist after Gone")
	framework.Eventually(t, 20*time.Second, func() bool {
		o, ok, _ := inf.GetStore().GetByKey("default/b")
		return ok && o.(*k8scorev1.Pod).Labels["n"] == "24"
	}, "the informer missed the last update")
}
