package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// setPodStatus gives a pod an IP and a Ready condition, as a kubelet would.
func setPodStatus(t *testing.T, c *client.Client, ns, name, ip string, ready bool) {
	t.Helper()
	ctx := testContext(t)
	p, err := c.Pods(ns).Get(ctx, name)
	require.NoError(t, err)
	status := "False"
	if ready {
		status = "True"
	}
	p.Status = &corev1.PodStatus{Phase: "Running", PodIp: ip, Conditions: []*corev1.PodCondition{{
		Type: "Ready", Status: status, LastTransitionTime: timestamppb.Now(),
	}}}
	_, err = c.Pods(ns).UpdateStatus(ctx, p)
	require.NoError(t, err)
}

// endpointIPs returns the ready and not-ready IPs of the named Endpoints, with the ports of each
// address's subset, or ok false when it does not exist.
func endpointIPs(t *testing.T, c *client.Client, ns, name string) (ready, notReady map[string][]int32, ok bool) {
	t.Helper()
	ep, err := c.Endpoints(ns).Get(testContext(t), name)
	if err != nil {
		return nil, nil, false
	}
	ready, notReady = map[string][]int32{}, map[string][]int32{}
	for _, ss := range ep.GetSubsets() {
		var ports []int32
		for _, p := range ss.GetPorts() {
			ports = append(ports, p.GetPort())
		}
		for _, a := range ss.GetAddresses() {
			ready[a.GetIp()] = ports
		}
		for _, a := range ss.GetNotReadyAddresses() {
			notReady[a.GetIp()] = ports
		}
	}
	return ready, notReady, true
}

func TestEndpointsFollowPodReadiness(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.Endpoints)
	ctx := testContext(t)
	c := cl.Client()

	spec := podSpec("nginx:1.27")
	spec.Containers[0].Ports = []*corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	other := podSpec("nginx:1.27")
	other.Containers[0].Ports = []*corev1.ContainerPort{{Name: "http", ContainerPort: 9000}}
	for name, s := range map[string]*corev1.PodSpec{"web-a": spec, "web-b": other} {
		s.NodeName = "node-a"
		_, err := c.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta(name, appLabels), Spec: s})
		require.NoError(t, err)
	}
	setPodStatus(t, c, "default", "web-a", "127.1.0.1", true)
	setPodStatus(t, c, "default", "web-b", "127.1.0.2", false)
	_, err := c.Services("default").Create(ctx, &corev1.Service{Metadata: meta("web", nil), Spec: &corev1.ServiceSpec{
		Selector: appLabels,
		Ports:    []*corev1.ServicePort{{Name: "http", Port: 80, TargetPort: &metav1.IntOrString{Type: 1, StrVal: "http"}}},
	}})
	require.NoError(t, err)

	framework.Eventually(t, 10*time.Second, func() bool {
		ready, notReady, ok := endpointIPs(t, c, "default", "web")
		return ok &&
			len(ready) == 1 && len(notReady) == 1 && ready["127.1.0.1"][0] == 8080 && notReady["127.1.0.2"][0] == 9000
	}, "Endpoints list web-a ready on 8080 and web-b not ready on 9000 (named port resolved per pod)")
	ep, err := c.Endpoints("default").Get(ctx, "web")
	require.NoError(t, err)
	ref := ep.GetSubsets()[0].GetAddresses()
	if len(ref) == 0 {
		ref = ep.GetSubsets()[1].GetAddresses()
	}
	require.Equal(t, "Pod", ref[0].GetTargetRef().GetKind())
	require.Equal(t, "web-a", ref[0].GetTargetRef().GetName())
	require.Equal(t, "node-a", ref[0].GetNodeName())

	// Readiness changes show within a second.
	setPodStatus(t, c, "default", "web-b", "127.1.0.2", true)
	framework.Eventually(t, time.Second, func() bool {
		ready, notReady, _ := endpointIPs(t, c, "default", "web")
		return len(ready) == 2 && len(notReady) == 0
	}, "web-b ready within a second")
	setPodStatus(t, c, "default", "web-a", "127.1.0.1", false)
	framework.Eventually(t, time.Second, func() bool {
		ready, notReady, _ := endpointIPs(t, c, "default", "web")
		return len(ready) == 1 && len(notReady) == 1 && notReady["127.1.0.1"] != nil
	}, "web-a not ready within a second")

	// A pod that stops matching leaves; deleting the service deletes its Endpoints.
	b, err := c.Pods("default").Get(ctx, "web-b")
	require.NoError(t, err)
	b.Metadata.Labels = map[string]string{"app": "other"}
	_, err = c.Pods("default").Update(ctx, b)
	require.NoError(t, err)
	framework.Eventually(t, 5*time.Second, func() bool {
		ready, notReady, _ := endpointIPs(t, c, "default", "web")
		return len(ready) == 0 && len(notReady) == 1
	}, "relabelled pod left the Endpoints")
	require.NoError(t, c.Services("default").Delete(ctx, "web"))
	framework.Eventually(t, 5*time.Second, func() bool {
		_, _, ok := endpointIPs(t, c, "default", "web")
		return !ok
	}, "Endpoints deleted with the service")
}
