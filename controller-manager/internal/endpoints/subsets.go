package endpoints

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// desired is what a service's Endpoints should hold.
type desired struct {
	subsets []*corev1.EndpointSubset
	// triggerTime is the newest change among the service and its pods that the subsets reflect,
	// zero when none is known.
	triggerTime time.Time
}

// podEndpoint is one pod's address and the ports it serves for the service.
type podEndpoint struct {
	addr  *corev1.EndpointAddress
	ready bool
	ports []*corev1.EndpointPort
}

// compute returns the Endpoints subsets of svc given the pods its selector matches.
func compute(svc *corev1.Service, pods []*corev1.Pod) desired {
	publish := svc.GetSpec().GetPublishNotReadyAddresses()
	d := desired{triggerTime: svc.GetMetadata().GetCreationTimestamp().AsTime()}
	var eps []podEndpoint
	for _, pod := range pods {
		if !includePod(pod, publish) {
			continue
		}
		if t := podChangeTime(pod); t.After(d.triggerTime) {
			d.triggerTime = t
		}
		ep := podEndpoint{addr: address(svc, pod), ready: publish || podReady(pod)}
		svcPorts := svc.GetSpec().GetPorts()
		if len(svcPorts) == 0 {
			// Only a headless service lists addresses without ports.
			if svc.GetSpec().GetClusterIp() == "None" {
				eps = append(eps, ep)
			}
			continue
		}
		for _, sp := range svcPorts {
			port, ok := targetPort(pod, sp)
			if !ok {
				continue // the pod lacks the named port: it serves the others only
			}
			ep.ports = append(ep.ports, &corev1.EndpointPort{
				Name: sp.GetName(), Port: port, Protocol: protocol(sp.GetProtocol()), AppProtocol: sp.AppProtocol,
			})
		}
		if len(ep.ports) > 0 {
			eps = append(eps, ep)
		}
	}
	d.subsets = repack(eps)
	if d.triggerTime.Equal(time.Unix(0, 0).UTC()) {
		d.triggerTime = time.Time{}
	}
	return d
}

// includePod reports whether pod belongs in its service's Endpoints at all: it has an IP, is not
// finished and, unless the service publishes not-ready addresses, is not terminating.
func includePod(pod *corev1.Pod, publishNotReady bool) bool {
	if pod.GetStatus().GetPodIp() == "" {
		return false
	}
	switch pod.GetStatus().GetPhase() {
	case "Succeeded", "Failed":
		return false
	}
	return publishNotReady || pod.GetMetadata().GetDeletionTimestamp() == nil
}

// podReady reports whether pod's Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}

// podChangeTime is the last time pod changed in a way the Endpoints show: its Ready condition's
// transition, or else its creation.
func podChangeTime(pod *corev1.Pod) time.Time {
	t := pod.GetMetadata().GetCreationTimestamp().AsTime()
	for _, c := range pod.GetStatus().GetConditions() {
		if c.GetType() == "Ready" && c.GetLastTransitionTime() != nil && c.GetLastTransitionTime().AsTime().After(t) {
			t = c.GetLastTransitionTime().AsTime()
		}
	}
	return t
}

// address is pod's entry in svc's Endpoints. The hostname is published only for a pod that names
// the service as its subdomain, as DNS records need.
func address(svc *corev1.Service, pod *corev1.Pod) *corev1.EndpointAddress {
	m := pod.GetMetadata()
	a := &corev1.EndpointAddress{
		Ip:        pod.GetStatus().GetPodIp(),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: m.GetNamespace(), Name: m.GetName(), Uid: m.GetUid()},
	}
	if n := pod.GetSpec().GetNodeName(); n != "" {
		a.NodeName = proto.String(n)
	}
	if h := pod.GetSpec().GetHostname(); h != "" && pod.GetSpec().GetSubdomain() == svc.GetMetadata().GetName() &&
		m.GetNamespace() == svc.GetMetadata().GetNamespace() {
		a.Hostname = h
	}
	return a
}

// targetPort resolves sp's targetPort on pod: a number is taken as is (the service port when
// unset), a name is looked up among the pod's container ports of the same protocol.
func targetPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	tp := sp.GetTargetPort()
	if tp.GetType() != intOrStringString {
		if v := tp.GetIntVal(); v > 0 {
			return v, true
		}
		return sp.GetPort(), sp.GetPort() > 0
	}
	want := protocol(sp.GetProtocol())
	for _, c := range pod.GetSpec().GetContainers() {
		for _, cp := range c.GetPorts() {
			if cp.GetName() == tp.GetStrVal() && protocol(cp.GetProtocol()) == want {
				return cp.GetContainerPort(), true
			}
		}
	}
	return 0, false
}

// intOrStringString is the IntOrString type of a string value.
const intOrStringString = 1

func protocol(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}

// repack groups pod endpoints into subsets by identical port sets, as Kubernetes repacks them, and
// sorts everything so equal inputs give equal outputs.
func repack(eps []podEndpoint) []*corev1.EndpointSubset {
	bySet := map[string]*corev1.EndpointSubset{}
	var keys []string
	for _, ep := range eps {
		slices.SortFunc(ep.ports, comparePorts)
		key := portSetKey(ep.ports)
		ss, ok := bySet[key]
		if !ok {
			ss = &corev1.EndpointSubset{Ports: ep.ports}
			bySet[key] = ss
			keys = append(keys, key)
		}
		if ep.ready {
			ss.Addresses = append(ss.Addresses, ep.addr)
		} else {
			ss.NotReadyAddresses = append(ss.NotReadyAddresses, ep.addr)
		}
	}
	slices.Sort(keys)
	out := make([]*corev1.EndpointSubset, 0, len(keys))
	for _, k := range keys {
		ss := bySet[k]
		slices.SortFunc(ss.Addresses, compareAddresses)
		slices.SortFunc(ss.NotReadyAddresses, compareAddresses)
		out = append(out, ss)
	}
	return out
}

func portSetKey(ports []*corev1.EndpointPort) string {
	var b strings.Builder
	for _, p := range ports {
		fmt.Fprintf(&b, "%s/%d/%s/%s;", p.GetName(), p.GetPort(), p.GetProtocol(), p.GetAppProtocol())
	}
	return b.String()
}

func comparePorts(a, b *corev1.EndpointPort) int {
	return cmp.Or(strings.Compare(a.GetName(), b.GetName()), cmp.Compare(a.GetPort(), b.GetPort()),
		strings.Compare(a.GetProtocol(), b.GetProtocol()))
}

func compareAddresses(a, b *corev1.EndpointAddress) int {
	return cmp.Or(strings.Compare(a.GetIp(), b.GetIp()), strings.Compare(a.GetTargetRef().GetUid(), b.GetTargetRef().GetUid()))
}
