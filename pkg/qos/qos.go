package qos

import (
	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Class is a pod's quality-of-service class, spelled as in status.qosClass.
type Class string

// The classes.
const (
	Guaranteed Class = "Guaranteed"
	Burstable  Class = "Burstable"
	BestEffort Class = "BestEffort"
)

// computeResources are the resources the class depends on; other resources (extended ones,
// ephemeral storage) never change it.
var computeResources = []string{"cpu", "memory"}

// Of returns pod's class. Init and app containers count alike. A limit without a request counts as
// a request of the same amount, as the apiserver's defaulting makes it; quantities that do not
// parse count as absent (validation refuses them before a pod gets here).
func Of(pod *corev1.Pod) Class {
	requests := resource.List{}
	limits := resource.List{}
	guaranteed := true
	containers := append(append([]*corev1.Container{}, pod.GetSpec().GetInitContainers()...), pod.GetSpec().GetContainers()...)
	for _, c := range containers {
		req := parsed(c.GetResources().GetRequests())
		lim := parsed(c.GetResources().GetLimits())
		for name, q := range lim {
			if _, ok := req[name]; !ok {
				req[name] = q
			}
		}
		for _, name := range computeResources {
			if q, ok := req[name]; ok && q.Sign() > 0 {
				requests[name] = requests[name].Add(q)
			}
			if q, ok := lim[name]; ok && q.Sign() > 0 {
				limits[name] = limits[name].Add(q)
			} else {
				guaranteed = false
			}
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return BestEffort
	}
	if guaranteed && requests.Equal(limits) {
		return Guaranteed
	}
	return Burstable
}

func parsed(in map[string]string) resource.List {
	out := resource.List{}
	for name, s := range in {
		q, err := resource.Parse(s)
		if err != nil {
			continue
		}
		out[name] = q
	}
	return out
}
