package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func TestDefaultServiceAccount(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.ServiceAccounts)
	ctx := testContext(t)
	c := cl.Client()

	framework.Eventually(t, 10*time.Second, func() bool {
		_, err := c.ServiceAccounts("kube-system").Get(ctx, "default")
		return err == nil
	}, "system namespaces get a default service account")
	_, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta("team-sa", nil)})
	require.NoError(t, err)
	var uid string
	framework.Eventually(t, 10*time.Second, func() bool {
		sa, err := c.ServiceAccounts("team-sa").Get(ctx, "default")
		uid = sa.GetMetadata().GetUid()
		return err == nil
	}, "a new namespace gets a default service account")

	require.NoError(t, c.ServiceAccounts("team-sa").Delete(ctx, "default"))
	framework.Eventually(t, 10*time.Second, func() bool {
		sa, err := c.ServiceAccounts("team-sa").Get(ctx, "default")
		return err == nil && sa.GetMetadata().GetUid() != uid
	}, "a deleted default service account is recreated")
}
