package strategy

import (
	"testing"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestMalformedQuantitiesAreInvalidWherever checks that a malformed quantity is refused, naming
// its field, in every quantity field of a pod and a stateful set, including those no other rule
// reads, so that nothing stored fails to encode as Kubernetes JSON.
func TestMalformedQuantitiesAreInvalidWherever(t *testing.T) {
	const bad = "lots"
	runValidation(t, podStrategy{}, validPod, []fieldCase[*corev1.Pod]{
		{"overhead", func(p *corev1.Pod) { p.Spec.Overhead = map[string]string{"cpu": bad} }, []string{"spec.overhead[cpu]"}},
		{"pod-level resources", func(p *corev1.Pod) {
			p.Spec.Resources = &corev1.ResourceRequirements{Limits: map[string]string{"memory": bad}}
		}, []string{"spec.resources.limits[memory]"}},
		{"ephemeral container resources", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []*corev1.EphemeralContainer{{Name: "debug", Image: "busybox",
				Resources: &corev1.ResourceRequirements{Requests: map[string]string{"cpu": bad}}}}
		}, []string{"spec.ephemeralContainers[0].resources.requests[cpu]"}},
		{"ephemeral container divisor", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []*corev1.EphemeralContainer{{Name: "debug", Image: "busybox",
				Env: []*corev1.EnvVar{{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: bad}}}}}}
		}, []string{"spec.ephemeralContainers[0].env[0].valueFrom.resourceFieldRef.divisor"}},
		{"hugepages divisor", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, &corev1.EnvVar{Name: "HP", ValueFrom: &corev1.EnvVarSource{
				ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.hugepages-2Mi", Divisor: bad}}})
		}, []string{"spec.containers[0].env[2].valueFrom.resourceFieldRef.divisor"}},
		{"ephemeral volume claim", func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, &corev1.Volume{Name: "scratch", Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: &corev1.PersistentVolumeClaimSpec{
					AccessModes: []string{"ReadWriteOnce"},
					Resources:   &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": bad}}}}}})
		}, []string{"spec.volumes[2].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]"}},
		{"well-formed everywhere", func(p *corev1.Pod) {
			p.Spec.Overhead = map[string]string{"cpu": "10m"}
			p.Spec.Resources = &corev1.ResourceRequirements{Limits: map[string]string{"memory": "1Gi"}}
		}, nil},
	})
	running := func() *corev1.Pod {
		p := validPod()
		p.Status = &corev1.PodStatus{Phase: "Running", ContainerStatuses: []*corev1.ContainerStatus{{Name: "app"}}}
		return p
	}
	runStatus(t, podStrategy{}, running, []fieldCase[*corev1.Pod]{
		{"allocated resources", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].AllocatedResources = map[string]string{"cpu": bad}
		}, []string{"status.containerStatuses[0].allocatedResources[cpu]"}},
		{"status resources", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Resources = &corev1.ResourceRequirements{Limits: map[string]string{"memory": bad}}
		}, []string{"status.containerStatuses[0].resources.limits[memory]"}},
		{"ephemeral container status", func(p *corev1.Pod) {
			p.Status.EphemeralContainerStatuses = []*corev1.ContainerStatus{{Name: "debug", AllocatedResources: map[string]string{"cpu": bad}}}
		}, []string{"status.ephemeralContainerStatuses[0].allocatedResources[cpu]"}},
	})
	runValidation(t, statefulSetStrategy{}, validStatefulSet, []fieldCase[*appsv1.StatefulSet]{
		{"claim template request", func(s *appsv1.StatefulSet) {
			c := claimTemplate("data")
			c.Spec.Resources = &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": bad}}
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{c}
		}, []string{"spec.volumeClaimTemplates[0].spec.resources.requests[storage]"}},
		{"claim template status", func(s *appsv1.StatefulSet) {
			c := claimTemplate("data")
			c.Status = &corev1.PersistentVolumeClaimStatus{Capacity: map[string]string{"storage": bad}}
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{c}
		}, []string{"spec.volumeClaimTemplates[0].status.capacity[storage]"}},
	})
}

// TestQuantitiesAreStoredCanonical checks that defaulting writes every quantity in Kubernetes'
// canonical form, huge ones included, so gRPC and REST read the same value.
func TestQuantitiesAreStoredCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"9999999999999999999999Ei": "9223372036854775807",
		"1e30":                     "1e30",
		"1000m":                    "1",
		"2048Ki":                   "2Mi",
		"0.0001":                   "1m",
		"128Mi":                    "128Mi",
		"lots":                     "lots",
	} {
		t.Run(in, func(t *testing.T) {
			l := map[string]string{"memory": in}
			roundResourceList(l)
			if l["memory"] != want {
				t.Errorf("roundResourceList(%q) = %q, want %q", in, l["memory"], want)
			}
		})
	}
	p := validPod()
	p.Spec.Containers[0].Resources.Limits["memory"] = "9999999999999999999999Ei"
	size := "2048Ki"
	p.Spec.Volumes[0].EmptyDir.SizeLimit = &size
	p.Spec.EphemeralContainers = []*corev1.EphemeralContainer{{Name: "debug", Image: "busybox",
		Resources: &corev1.ResourceRequirements{Requests: map[string]string{"cpu": "1000m"}}}}
	podStrategy{}.Default(p)
	if got := p.Spec.Containers[0].Resources.Limits["memory"]; got != "9223372036854775807" {
		t.Errorf("container limit %q", got)
	}
	if got := p.Spec.Volumes[0].EmptyDir.GetSizeLimit(); got != "2Mi" {
		t.Errorf("sizeLimit %q", got)
	}
	if got := p.Spec.EphemeralContainers[0].Resources.Requests["cpu"]; got != "1" {
		t.Errorf("ephemeral container request %q", got)
	}
	p.Status = &corev1.PodStatus{ContainerStatuses: []*corev1.ContainerStatus{{Name: "app", AllocatedResources: map[string]string{"cpu": "1000m"}}}}
	podStrategy{}.DefaultStatus(p)
	if got := p.Status.ContainerStatuses[0].AllocatedResources["cpu"]; got != "1" {
		t.Errorf("allocated %q", got)
	}
}
