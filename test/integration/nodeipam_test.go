package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestNodeIPAM runs the node IPAM controller on a cluster range of two /24s, one of which an
// existing node already holds: a new node gets the other, a third node gets none until a node
// is deleted, then the freed range.
func TestNodeIPAM(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c, ctx := cl.Client(), testContext(t)
	create := func(name, cidr string) {
		t.Helper()
		n := &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.NodeSpec{PodCidr: cidr}}
		_, err := c.Nodes().Create(ctx, n)
		require.NoError(t, err)
	}
	cidrOf := func(name string) string {
		n, err := c.Nodes().Get(ctx, name)
		if err != nil {
			return "error: " + err.Error()
		}
		return n.GetSpec().GetPodCidr()
	}
	create("holder", "10.244.0.0/24")
	startControllers(t, cl, harness.NodeIPAM(24, "10.244.0.0/23"))

	create("first", "")
	framework.Eventually(t, 30*time.Second, func() bool { return cidrOf("first") == "10.244.1.0/24" }, "first gets the free range")
	create("second", "")
	require.Never(t, func() bool { return cidrOf("second") != "" }, time.Second, 50*time.Millisecond, "no range is left for second")

	require.NoError(t, c.Nodes().Delete(ctx, "first"))
	framework.Eventually(t, 30*time.Second, func() bool { return cidrOf("second") == "10.244.1.0/24" }, "second gets the freed range")
	n, err := c.Nodes().Get(ctx, "second")
	require.NoError(t, err)
	require.Equal(t, []string{"10.244.1.0/24"}, n.GetSpec().GetPodCidrs())
	require.Equal(t, "10.244.0.0/24", cidrOf("holder"))
}
