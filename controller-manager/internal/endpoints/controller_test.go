package endpoints

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func service(name string, sel map[string]string, ports ...*corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"tier": "web"},
			CreationTimestamp: timestamppb.New(epoch)},
		Spec: &corev1.ServiceSpec{Selector: sel, Ports: ports, ClusterIp: "127.96.0.10"},
	}
}

func svcPort(name string, port int32, target *metav1.IntOrString) *corev1.ServicePort {
	return &corev1.ServicePort{Name: name, Port: port, Protocol: "TCP", TargetPort: target}
}

func intPort(n int32) *metav1.IntOrString { return &metav1.IntOrString{IntVal: n} }
func namedPort(s string) *metav1.IntOrString {
	return &metav1.IntOrString{Type: intOrStringString, StrVal: s}
}

type podOpt func(*corev1.Pod)

func pod(name, ip string, ready bool, opts ...podOpt) *corev1.Pod {
	status := "False"
	if ready {
		status = "True"
	}
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name,
			Labels: map[string]string{"app": "web"}, CreationTimestamp: timestamppb.New(epoch)},
		Spec: &corev1.PodSpec{NodeName: "node-a", Containers: []*corev1.Container{{
			Name: "c", Ports: []*corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}},
		}}},
		Status: &corev1.PodStatus{Phase: "Running", PodIp: ip, Conditions: []*corev1.PodCondition{{
			Type: "Ready", Status: status, LastTransitionTime: timestamppb.New(epoch.Add(time.Minute)),
		}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Metadata.Labels = l } }
func withPorts(ports ...*corev1.ContainerPort) podOpt {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Ports = ports }
}
func withPhase(ph string) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func terminating() podOpt {
	return func(p *corev1.Pod) {
		p.Metadata.DeletionTimestamp = timestamppb.New(epoch)
		p.Metadata.Finalizers = []string{"test/hold"} // keeps the fake from removing it at once
	}
}
func withHostname(h, sub string) podOpt {
	return func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = h, sub }
}

func addr(name, ip string) *corev1.EndpointAddress {
	return &corev1.EndpointAddress{Ip: ip, NodeName: proto.String("node-a"),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: name, Uid: "uid-" + name}}
}

func epPort(name string, port int32) *corev1.EndpointPort {
	return &corev1.EndpointPort{Name: name, Port: port, Protocol: "TCP"}
}

// start runs a controller over a fake API holding objs, with its informers synced.
func start(t *testing.T, objs ...scheme.Object) (*Controller, *clienttest.Server) {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(epoch.Add(time.Hour))
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	c, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
	return c, srv
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestReconcile(t *testing.T) {
	web := map[string]string{"app": "web"}
	tests := []struct {
		name string
		objs []scheme.Object
		want []*corev1.EndpointSubset // nil with wantNone: no Endpoints at all
		none bool
	}{{
		name: "ready and unready pods",
		objs: []scheme.Object{
			service("web", web, svcPort("http", 80, intPort(8080))),
			pod("b", "127.1.0.2", true), pod("a", "127.1.0.1", true), pod("c", "127.1.0.3", false),
			pod("other", "127.1.0.9", true, withLabels(map[string]string{"app": "db"})),
		},
		want: []*corev1.EndpointSubset{{
			Addresses:         []*corev1.EndpointAddress{addr("a", "127.1.0.1"), addr("b", "127.1.0.2")},
			NotReadyAddresses: []*corev1.EndpointAddress{addr("c", "127.1.0.3")},
			Ports:             []*corev1.EndpointPort{epPort("http", 8080)},
		}},
	}, {
		name: "publishNotReadyAddresses puts unready and terminating pods in addresses",
		objs: []scheme.Object{
			func() *corev1.Service {
				s := service("web", web, svcPort("http", 80, intPort(8080)))
				s.Spec.PublishNotReadyAddresses = true
				return s
			}(),
			pod("a", "127.1.0.1", false), pod("b", "127.1.0.2", true, terminating()),
		},
		want: []*corev1.EndpointSubset{{
			Addresses: []*corev1.EndpointAddress{addr("a", "127.1.0.1"), addr("b", "127.1.0.2")},
			Ports:     []*corev1.EndpointPort{epPort("http", 8080)},
		}},
	}, {
		name: "pods without IP, terminating or finished are skipped",
		objs: []scheme.Object{
			service("web", web, svcPort("http", 80, intPort(8080))),
			pod("noip", "", true), pod("gone", "127.1.0.2", true, terminating()),
			pod("done", "127.1.0.3", false, withPhase("Succeeded")), pod("failed", "127.1.0.4", false, withPhase("Failed")),
			pod("ok", "127.1.0.5", true),
		},
		want: []*corev1.EndpointSubset{{
			Addresses: []*corev1.EndpointAddress{addr("ok", "127.1.0.5")},
			Ports:     []*corev1.EndpointPort{epPort("http", 8080)},
		}},
	}, {
		name: "named target ports resolve per pod and pods without the name serve only other ports",
		objs: []scheme.Object{
			service("web", web, svcPort("http", 80, namedPort("http")), svcPort("metrics", 9090, intPort(9100))),
			pod("a", "127.1.0.1", true),
			pod("b", "127.1.0.2", true, withPorts(&corev1.ContainerPort{Name: "http", ContainerPort: 8081})),
			pod("c", "127.1.0.3", true, withPorts(&corev1.ContainerPort{Name: "grpc", ContainerPort: 5000})),
		},
		want: []*corev1.EndpointSubset{{
			Addresses: []*corev1.EndpointAddress{addr("a", "127.1.0.1")},
			Ports:     []*corev1.EndpointPort{epPort("http", 8080), epPort("metrics", 9100)},
		}, {
			Addresses: []*corev1.EndpointAddress{addr("b", "127.1.0.2")},
			Ports:     []*corev1.EndpointPort{epPort("http", 8081), epPort("metrics", 9100)},
		}, {
			Addresses: []*corev1.EndpointAddress{addr("c", "127.1.0.3")},
			Ports:     []*corev1.EndpointPort{epPort("metrics", 9100)},
		}},
	}, {
		name: "hostname only for pods whose subdomain is the service",
		objs: []scheme.Object{
			service("web", web, svcPort("http", 80, intPort(8080))),
			pod("a", "127.1.0.1", true, withHostname("a-host", "web")),
			pod("b", "127.1.0.2", true, withHostname("b-host", "elsewhere")),
		},
		want: []*corev1.EndpointSubset{{
			Addresses: []*corev1.EndpointAddress{func() *corev1.EndpointAddress {
				a := addr("a", "127.1.0.1")
				a.Hostname = "a-host"
				return a
			}(), addr("b", "127.1.0.2")},
			Ports: []*corev1.EndpointPort{epPort("http", 8080)},
		}},
	}, {
		name: "a service with no matching pods gets empty Endpoints",
		objs: []scheme.Object{service("web", web, svcPort("http", 80, intPort(8080)))},
		want: []*corev1.EndpointSubset{},
	}, {
		name: "a service without a selector is left alone",
		objs: []scheme.Object{service("web", nil, svcPort("http", 80, intPort(8080))), pod("a", "127.1.0.1", true)},
		none: true,
	}, {
		name: "a deleted service's Endpoints are deleted",
		objs: []scheme.Object{&corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"}}},
		none: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			c, srv := start(t, tt.objs...)
			_, err := c.reconcile(ctx, "default/web")
			require.NoError(t, err)
			got, ok := clienttest.Stored[*corev1.Endpoints](srv, "default", "web")
			if tt.none {
				require.False(t, ok, "no Endpoints: %v", got)
				return
			}
			require.True(t, ok, "Endpoints written")
			require.Len(t, got.GetSubsets(), len(tt.want))
			for i := range tt.want {
				require.True(t, proto.Equal(tt.want[i], got.GetSubsets()[i]), "subset %d:\nwant %v\ngot  %v", i, tt.want[i], got.GetSubsets()[i])
			}
			require.Equal(t, "web", got.GetMetadata().GetLabels()["tier"], "service labels copied")
			require.NotEmpty(t, got.GetMetadata().GetAnnotations()[TriggerTimeAnnotation])
		})
	}
}

// TestNoWriteWhenNothingChanged reconciles twice: the second finds the Endpoints as they should
// be and writes nothing.
func TestNoWriteWhenNothingChanged(t *testing.T) {
	ctx := testContext(t)
	c, srv := start(t, service("web", map[string]string{"app": "web"}, svcPort("http", 80, intPort(8080))), pod("a", "127.1.0.1", true))
	_, err := c.reconcile(ctx, "default/web")
	require.NoError(t, err)
	require.Equal(t, 1, srv.Calls(clienttest.Create, "endpoints"))
	require.Eventually(t, func() bool {
		_, ok := c.endpoints.Lister().Get("default", "web")
		return ok
	}, 5*time.Second, 5*time.Millisecond, "the informer sees the write")
	_, err = c.reconcile(ctx, "default/web")
	require.NoError(t, err)
	require.Equal(t, 1, srv.Calls(clienttest.Create, "endpoints"))
	require.Zero(t, srv.Calls(clienttest.Update, "endpoints"), "nothing changed, nothing written")
}

func TestTriggerTimeIsNewestChange(t *testing.T) {
	svc := service("web", map[string]string{"app": "web"}, svcPort("http", 80, intPort(8080)))
	d := compute(svc, []*corev1.Pod{pod("a", "127.1.0.1", true), pod("b", "127.1.0.2", false, func(p *corev1.Pod) {
		p.Status.Conditions[0].LastTransitionTime = timestamppb.New(epoch.Add(5 * time.Minute))
	})})
	require.Equal(t, epoch.Add(5*time.Minute), d.triggerTime)
}

func TestSelectorIndex(t *testing.T) {
	x := newSelectorIndex()
	x.set(service("web", map[string]string{"app": "web"}))
	x.set(service("all-web", map[string]string{"tier": "fe"}))
	x.set(service("manual", nil))
	other := service("web", map[string]string{"app": "web"})
	other.Metadata.Namespace = "other"
	x.set(other)
	tests := []struct {
		name   string
		ns     string
		labels map[string]string
		want   []string
	}{
		{"one match", "default", map[string]string{"app": "web"}, []string{"default/web"}},
		{"two matches", "default", map[string]string{"app": "web", "tier": "fe"}, []string{"default/all-web", "default/web"}},
		{"namespaces apart", "other", map[string]string{"app": "web", "tier": "fe"}, []string{"other/web"}},
		{"none", "default", map[string]string{"app": "db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]struct{}{}
			x.services(tt.ns, tt.labels, got)
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			require.ElementsMatch(t, tt.want, keys)
		})
	}
	x.remove(other)
	got := map[string]struct{}{}
	x.services("other", map[string]string{"app": "web"}, got)
	require.Empty(t, got)
}

// TestLeftoverEndpointsDeleted starts over Endpoints whose service went away while no controller
// ran: the controller deletes them, but not a leader-election lock.
func TestLeftoverEndpointsDeleted(t *testing.T) {
	lock := &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: "lock", Namespace: "default",
		Annotations: map[string]string{leaderAnnotation: "{}"}}}
	c, srv := start(t, &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: "gone", Namespace: "default"}}, lock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, 1) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	require.Eventually(t, func() bool {
		_, ok := clienttest.Stored[*corev1.Endpoints](srv, "default", "gone")
		return !ok
	}, 5*time.Second, 5*time.Millisecond, "leftover Endpoints deleted")
	_, ok := clienttest.Stored[*corev1.Endpoints](srv, "default", "lock")
	require.True(t, ok, "the lock stays")
}
