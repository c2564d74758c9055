package integration

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func names(pods []*corev1.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.GetMetadata().GetName()
	}
	return out
}

func TestSelectorsAndPaging(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	pods := c.Pods("default")
	for i := 0; i < 10; i++ {
		tier := "web"
		if i%2 == 1 {
			tier = "db"
		}
		_, err := pods.Create(ctx, &corev1.Pod{Metadata: meta(fmt.Sprintf("p%02d", i), map[string]string{"tier": tier, "idx": fmt.Sprint(i)}), Spec: podSpec("nginx")})
		require.NoError(t, err)
	}
	require.NoError(t, pods.Bind(ctx, "p03", "node-a"))
	require.NoError(t, pods.Bind(ctx, "p04", "node-a"))

	tests := []struct {
		name string
		opts client.ListOptions
		want []string
	}{
		{"equality", client.ListOptions{LabelSelector: "tier=db"}, []string{"p01", "p03", "p05", "p07", "p09"}},
		{"set based", client.ListOptions{LabelSelector: "tier=web,idx in (0,2,3)"}, []string{"p00", "p02"}},
		{"not in", client.ListOptions{LabelSelector: "idx notin (0,1,2,3,4,5,6,7)"}, []string{"p08", "p09"}},
		{"by node", client.ListOptions{FieldSelector: "spec.nodeName=node-a"}, []string{"p03", "p04"}},
		{"by name", client.ListOptions{FieldSelector: "metadata.name=p07"}, []string{"p07"}},
		{"both", client.ListOptions{FieldSelector: "spec.nodeName=node-a", LabelSelector: "tier=db"}, []string{"p03"}},
		{"not equal", client.ListOptions{FieldSelector: "spec.nodeName!=,status.phase=Pending", LabelSelector: "tier=web"}, []string{"p04"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := pods.List(ctx, tc.opts)
			require.NoError(t, err)
			require.Equal(t, tc.want, names(list.Items))
			// resourceVersion "0" may be served a little behind etcd: wait until the cache has
			// seen the revision the consistent list was read at.
			consistent, _ := strconv.ParseInt(list.ResourceVersion, 10, 64)
			cached := tc.opts
			cached.ResourceVersion = "0"
			framework.Eventually(t, 10*time.Second, func() bool {
				list, err = pods.List(ctx, cached)
				require.NoError(t, err)
				rv, _ := strconv.ParseInt(list.ResourceVersion, 10, 64)
				return rv >= consistent
			}, "the watch cache catches up")
			require.Equal(t, tc.want, names(list.Items), "the watch cache selects the same")
		})
	}

	// Paging: limit and continue walk a consistent snapshot, even with a selector.
	var got []string
	opts := client.ListOptions{Limit: 2, LabelSelector: "tier=web"}
	first := ""
	for {
		page, err := pods.List(ctx, opts)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Items), 2)
		if first == "" {
			first = page.ResourceVersion
			// A write after the first page does not show in later pages.
			_, err := pods.Create(ctx, &corev1.Pod{Metadata: meta("p99", map[string]string{"tier": "web"}), Spec: podSpec("nginx")})
			require.NoError(t, err)
		}
		require.Equal(t, first, page.ResourceVersion)
		got = append(got, names(page.Items)...)
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
	}
	require.Equal(t, []string{"p00", "p02", "p04", "p06", "p08"}, got)
	all, err := c.Pods("").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, all.Items, 11, "all namespaces")
}
