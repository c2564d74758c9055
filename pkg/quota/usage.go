package quota

import (
	"fmt"
	"maps"
	"strings"

	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Resource names a quota counts besides object counts and compute resources.
const (
	Pods                   = "pods"
	Services               = "services"
	ServicesNodePorts      = "services.nodeports"
	ServicesLoadBalancers  = "services.loadbalancers"
	ConfigMaps             = "configmaps"
	Secrets                = "secrets"
	ReplicationControllers = "replicationcontrollers"
	ResourceQuotas         = "resourcequotas"
	PersistentVolumeClaims = "persistentvolumeclaims"

	requestsPrefix = "requests."
	limitsPrefix   = "limits."
	countPrefix    = "count/"
)

// legacyCounts are the kinds whose object count also has a bare name ("secrets" as well as
// "count/secrets").
var legacyCounts = map[string]bool{
	ConfigMaps: true, Secrets: true, ReplicationControllers: true, ResourceQuotas: true,
	PersistentVolumeClaims: true,
}

// CountName returns the object-count resource name of kind k: "count/pods",
// "count/deployments.apps".
func CountName(k *scheme.Kind) string {
	if k.Group == "" {
		return countPrefix + k.Resource
	}
	return countPrefix + k.Resource + "." + k.Group
}

// Usage returns what obj, an object of kind k, counts against a quota in its namespace. A pod in
// a terminal phase counts nothing, as in Kubernetes. A quantity that does not parse fails.
func Usage(k *scheme.Kind, obj scheme.Object) (resource.List, error) {
	one := resource.NewQuantity(1, resource.DecimalSI)
	out := resource.List{}
	switch o := obj.(type) {
	case *corev1.Pod:
		if Terminal(o) {
			return out, nil
		}
		out[Pods] = one
		compute, err := podCompute(o)
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: %w", o.GetMetadata().GetNamespace(), o.GetMetadata().GetName(), err)
		}
		maps.Copy(out, compute)
	case *corev1.Service:
		out[Services] = one
		switch o.GetSpec().GetType() {
		case "LoadBalancer":
			out[ServicesLoadBalancers] = one
			out[ServicesNodePorts] = resource.NewQuantity(int64(len(o.GetSpec().GetPorts())), resource.DecimalSI)
		case "NodePort":
			out[ServicesNodePorts] = resource.NewQuantity(int64(len(o.GetSpec().GetPorts())), resource.DecimalSI)
		}
	default:
		if legacyCounts[k.Resource] && k.Group == "" {
			out[k.Resource] = one
		}
	}
	out[CountName(k)] = one
	return out, nil
}

// Terminal reports whether pod has finished for good (phase Succeeded or Failed): it no longer
// counts against a quota.
func Terminal(pod *corev1.Pod) bool {
	switch pod.GetStatus().GetPhase() {
	case "Succeeded", "Failed":
		return true
	}
	return false
}

// podCompute returns a pod's compute usage: for requests and limits, the larger of the sum over
// its containers and the largest init container, plus its overhead; cpu and memory requests
// also under their bare names.
func podCompute(pod *corev1.Pod) (resource.List, error) {
	out := resource.List{}
	for _, side := range []struct {
		prefix string
		get    func(*corev1.Container) map[string]string
	}{
		{requestsPrefix, func(c *corev1.Container) map[string]string { return c.GetResources().GetRequests() }},
		{limitsPrefix, func(c *corev1.Container) map[string]string { return c.GetResources().GetLimits() }},
	} {
		total, err := podTotal(pod, side.get)
		if err != nil {
			return nil, err
		}
		for name, q := range total {
			out[side.prefix+name] = q
			if side.prefix == requestsPrefix && (name == resource.CPU || name == resource.Memory) {
				out[name] = q
			}
		}
	}
	return out, nil
}

// podTotal sums get over the pod's containers, raises each resource to its largest init
// container's value, and adds the overhead.
func podTotal(pod *corev1.Pod, get func(*corev1.Container) map[string]string) (resource.List, error) {
	sum := resource.List{}
	for _, c := range pod.GetSpec().GetContainers() {
		l, err := resource.ParseList(get(c))
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", c.GetName(), err)
		}
		sum = sum.Add(l)
	}
	for _, c := range pod.GetSpec().GetInitContainers() {
		l, err := resource.ParseList(get(c))
		if err != nil {
			return nil, fmt.Errorf("init container %s: %w", c.GetName(), err)
		}
		for name, q := range l {
			if q.Cmp(sum[name]) > 0 {
				sum[name] = q
			}
		}
	}
	if len(sum) > 0 && len(pod.GetSpec().GetOverhead()) > 0 {
		o, err := resource.ParseList(pod.GetSpec().GetOverhead())
		if err != nil {
			return nil, fmt.Errorf("overhead: %w", err)
		}
		for name := range sum {
			sum[name] = sum[name].Add(o[name])
		}
	}
	return sum, nil
}

// MissingCompute returns the compute resources a quota with the given hard names limits but a
// container of pod does not state ("requests.cpu", "limits.memory"), sorted. Kubernetes refuses
// such a pod, since its usage could not be charged.
func MissingCompute(pod *corev1.Pod, hard resource.List) []string {
	var missing []string
	for _, name := range hard.Names() {
		side, res, ok := computeName(name)
		if !ok {
			continue
		}
		for _, c := range append(append([]*corev1.Container{}, pod.GetSpec().GetInitContainers()...), pod.GetSpec().GetContainers()...) {
			have := c.GetResources().GetRequests()
			if side == limitsPrefix {
				have = c.GetResources().GetLimits()
			}
			if _, ok := have[res]; !ok {
				missing = append(missing, side+res)
				break
			}
		}
	}
	return dedupSorted(missing)
}

// computeName splits a cpu or memory quota name into its side (requests or limits) and resource.
func computeName(name string) (side, res string, ok bool) {
	switch name {
	case resource.CPU, resource.Memory:
		return requestsPrefix, name, true
	}
	for _, p := range []string{requestsPrefix, limitsPrefix} {
		if r, found := strings.CutPrefix(name, p); found && (r == resource.CPU || r == resource.Memory) {
			return p, r, true
		}
	}
	return "", "", false
}
