package quota

import (
	"testing"

	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func container(name string, requests, limits map[string]string) *corev1.Container {
	return &corev1.Container{Name: name, Resources: &corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func kind(t *testing.T, resourceName, group string) *scheme.Kind {
	t.Helper()
	for _, k := range scheme.Builtin().Kinds() {
		if k.Resource == resourceName && k.Group == group {
			return k
		}
	}
	t.Fatalf("no kind %s.%s", resourceName, group)
	return nil
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		group    string
		obj      scheme.Object
		want     map[string]string
	}{
		{
			name: "running pod with requests and limits", resource: "pods",
			obj: &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p"}, Spec: &corev1.PodSpec{
				Containers: []*corev1.Container{
					container("a", map[string]string{"cpu": "100m", "memory": "64Mi"}, map[string]string{"cpu": "200m"}),
					container("b", map[string]string{"cpu": "300m"}, nil),
				},
				InitContainers: []*corev1.Container{container("i", map[string]string{"cpu": "1"}, nil)},
			}, Status: &corev1.PodStatus{Phase: "Running"}},
			want: map[string]string{"pods": "1", "count/pods": "1", "requests.cpu": "1", "cpu": "1",
				"requests.memory": "64Mi", "memory": "64Mi", "limits.cpu": "200m"},
		},
		{
			name: "terminal pod counts nothing", resource: "pods",
			obj:  &corev1.Pod{Spec: &corev1.PodSpec{}, Status: &corev1.PodStatus{Phase: "Succeeded"}},
			want: map[string]string{},
		},
		{
			name: "node port service", resource: "services",
			obj: &corev1.Service{Spec: &corev1.ServiceSpec{Type: "NodePort",
				Ports: []*corev1.ServicePort{{Port: 80}, {Port: 443}}}},
			want: map[string]string{"services": "1", "services.nodeports": "2", "count/services": "1"},
		},
		{
			name: "load balancer", resource: "services",
			obj:  &corev1.Service{Spec: &corev1.ServiceSpec{Type: "LoadBalancer", Ports: []*corev1.ServicePort{{Port: 80}}}},
			want: map[string]string{"services": "1", "services.nodeports": "1", "services.loadbalancers": "1", "count/services": "1"},
		},
		{name: "secret", resource: "secrets", obj: &corev1.Secret{}, want: map[string]string{"secrets": "1", "count/secrets": "1"}},
		{name: "configmap", resource: "configmaps", obj: &corev1.ConfigMap{}, want: map[string]string{"configmaps": "1", "count/configmaps": "1"}},
		{name: "deployment counted by group", resource: "deployments", group: "apps",
			want: map[string]string{"count/deployments.apps": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := kind(t, tt.resource, tt.group)
			obj := tt.obj
			if obj == nil { // any object of the kind
				obj = k.New()
			}
			got, err := Usage(k, obj)
			if err != nil {
				t.Fatal(err)
			}
			want, err := resource.ParseList(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("usage %v, want %v", got.Strings(), tt.want)
			}
			for n, q := range want {
				if !got[n].Equal(q) {
					t.Errorf("%s = %s, want %s", n, got[n].String(), q.String())
				}
			}
		})
	}
}

func TestUsageRejectsBadQuantity(t *testing.T) {
	pod := &corev1.Pod{Spec: &corev1.PodSpec{Containers: []*corev1.Container{container("a", map[string]string{"cpu": "lots"}, nil)}}}
	if _, err := Usage(kind(t, "pods", ""), pod); err == nil {
		t.Fatal("a pod with an unparsable request was charged")
	}
}

func TestMissingCompute(t *testing.T) {
	tests := []struct {
		name string
		hard map[string]string
		pod  *corev1.Pod
		want []string
	}{
		{name: "no compute limited", hard: map[string]string{"pods": "3"},
			pod: &corev1.Pod{Spec: &corev1.PodSpec{Containers: []*corev1.Container{container("a", nil, nil)}}}},
		{name: "bare cpu needs requests", hard: map[string]string{"cpu": "1", "limits.memory": "1Gi"},
			pod:  &corev1.Pod{Spec: &corev1.PodSpec{Containers: []*corev1.Container{container("a", nil, nil)}}},
			want: []string{"limits.memory", "requests.cpu"}},
		{name: "one container missing is enough", hard: map[string]string{"requests.cpu": "1"},
			pod: &corev1.Pod{Spec: &corev1.PodSpec{Containers: []*corev1.Container{
				container("a", map[string]string{"cpu": "1"}, nil), container("b", nil, nil)}}},
			want: []string{"requests.cpu"}},
		{name: "all stated", hard: map[string]string{"requests.cpu": "1", "requests.memory": "1Gi"},
			pod: &corev1.Pod{Spec: &corev1.PodSpec{Containers: []*corev1.Container{
				container("a", map[string]string{"cpu": "1", "memory": "1Mi"}, nil)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hard, err := resource.ParseList(tt.hard)
			if err != nil {
				t.Fatal(err)
			}
			got := MissingCompute(tt.pod, hard)
			if len(got) != len(tt.want) {
				t.Fatalf("missing %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("missing %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestExceededMessage(t *testing.T) {
	hard, _ := resource.ParseList(map[string]string{"pods": "2", "requests.cpu": "1", "services": "5"})
	used, _ := resource.ParseList(map[string]string{"pods": "2", "requests.cpu": "500m"})
	delta, _ := resource.ParseList(map[string]string{"pods": "1", "requests.cpu": "250m", "count/pods": "1"})
	limited := Limited(hard, delta)
	if got := Exceeded(hard, used, delta, limited); len(got) != 1 || got[0] != "pods" {
		t.Fatalf("exceeded %v, want [pods]", got)
	}
	want := "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
	if got := ExceededMessage("q", delta, used, hard, []string{"pods"}); got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	empty := resource.List{}
	if got := ExceededMessage("q", delta, empty, hard, []string{"pods"}); got != "exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=2" {
		t.Fatalf("message with no usage: %q", got)
	}
}
