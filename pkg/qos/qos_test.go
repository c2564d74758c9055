package qos_test

import (
	"testing"

	"github.com/keelson-dev/keelson/pkg/qos"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func container(requests, limits map[string]string) *corev1.Container {
	return &corev1.Container{Name: "c", Resources: &corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func TestOf(t *testing.T) {
	full := map[string]string{"cpu": "500m", "memory": "128Mi"}
	tests := []struct {
		name       string
		init, apps []*corev1.Container
		want       qos.Class
	}{
		{name: "nothing set", apps: []*corev1.Container{container(nil, nil)}, want: qos.BestEffort},
		{name: "only extended resources", apps: []*corev1.Container{container(map[string]string{"example.com/gpu": "1"}, nil)}, want: qos.BestEffort},
		{name: "limits equal requests", apps: []*corev1.Container{container(full, full)}, want: qos.Guaranteed},
		{name: "limits only count as requests", apps: []*corev1.Container{container(nil, full)}, want: qos.Guaranteed},
		{name: "same amount spelled differently", apps: []*corev1.Container{container(map[string]string{"cpu": "0.5", "memory": "134217728"}, full)}, want: qos.Guaranteed},
		{name: "requests below limits", apps: []*corev1.Container{container(map[string]string{"cpu": "100m", "memory": "128Mi"}, full)}, want: qos.Burstable},
		{name: "memory limit missing", apps: []*corev1.Container{container(nil, map[string]string{"cpu": "1"})}, want: qos.Burstable},
		{name: "one container without limits", apps: []*corev1.Container{container(full, full), container(nil, nil)}, want: qos.Burstable},
		{name: "init container requests", init: []*corev1.Container{container(map[string]string{"memory": "1Mi"}, nil)}, apps: []*corev1.Container{container(nil, nil)}, want: qos.Burstable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: &corev1.PodSpec{InitContainers: tt.init, Containers: tt.apps}}
			if got := qos.Of(pod); got != tt.want {
				t.Fatalf("Of() = %s, want %s", got, tt.want)
			}
		})
	}
}
