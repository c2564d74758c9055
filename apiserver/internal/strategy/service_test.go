package strategy

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func validService() *corev1.Service {
	return defaulted(serviceStrategy{}, &corev1.Service{
		Metadata: meta("web"),
		Spec: &corev1.ServiceSpec{
			Selector: map[string]string{"app": "web"},
			Ports: []*corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intOrPercent("http")},
				{Name: "metrics", Port: 9090},
			},
		},
	})
}

func TestServiceDefault(t *testing.T) {
	in := &corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{
		Ports:           []*corev1.ServicePort{{Port: 80}, {Port: 53, Protocol: "UDP", TargetPort: intOrInt(5353)}},
		SessionAffinity: "ClientIP",
		ClusterIp:       "10.96.0.10",
	}}
	want := &corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{
		Type:            "ClusterIP",
		SessionAffinity: "ClientIP",
		Ports: []*corev1.ServicePort{
			{Port: 80, Protocol: "TCP", TargetPort: intOrInt(80)},
			{Port: 53, Protocol: "UDP", TargetPort: intOrInt(5353)},
		},
		SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIp: &corev1.ClientIPConfig{TimeoutSeconds: proto.Int32(10800)}},
		InternalTrafficPolicy: proto.String("Cluster"),
		ClusterIp:             "10.96.0.10",
		ClusterIps:            []string{"10.96.0.10"},
	}}
	checkDefault(t, serviceStrategy{}, in, want)

	lb := &corev1.Service{Metadata: meta("lb"), Spec: &corev1.ServiceSpec{Type: "LoadBalancer", Ports: []*corev1.ServicePort{{Port: 443}}}}
	serviceStrategy{}.Default(lb)
	if lb.Spec.ExternalTrafficPolicy != "Cluster" || !lb.Spec.GetAllocateLoadBalancerNodePorts() || lb.Spec.SessionAffinity != "None" {
		t.Errorf("LoadBalancer defaults: %v", lb.Spec)
	}
}

func TestServiceValidate(t *testing.T) {
	runValidation(t, serviceStrategy{}, validService, []fieldCase[*corev1.Service]{
		{"bad type", func(s *corev1.Service) { s.Spec.Type = "Magic" }, []string{"spec.type"}},
		{"no ports", func(s *corev1.Service) { s.Spec.Ports = nil }, []string{"spec.ports"}},
		{"headless without ports", func(s *corev1.Service) {
			s.Spec.Ports = nil
			s.Spec.ClusterIp = "None"
		}, nil},
		{"port out of range", func(s *corev1.Service) { s.Spec.Ports[0].Port = 0 }, []string{"spec.ports[0].port"}},
		{"unnamed port among several", func(s *corev1.Service) { s.Spec.Ports[1].Name = "" }, []string{"spec.ports[1].name"}},
		{"duplicate port name", func(s *corev1.Service) { s.Spec.Ports[1].Name = "http" }, []string{"spec.ports[1].name"}},
		{"duplicate port and protocol", func(s *corev1.Service) { s.Spec.Ports[1].Port = 80 }, []string{"spec.ports[1]"}},
		{"bad protocol", func(s *corev1.Service) { s.Spec.Ports[0].Protocol = "HTTP" }, []string{"spec.ports[0].protocol"}},
		{"bad target port", func(s *corev1.Service) { s.Spec.Ports[1].TargetPort = intOrInt(99999) }, []string{"spec.ports[1].targetPort"}},
		{"node port on ClusterIP", func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 }, []string{"spec.ports[0].nodePort"}},
		{"bad cluster IP", func(s *corev1.Service) {
			s.Spec.ClusterIp = "10.96.0.300"
			s.Spec.ClusterIps = []string{"10.96.0.300"}
		}, []string{"spec.clusterIPs[0]"}},
		{"clusterIPs disagree", func(s *corev1.Service) {
			s.Spec.ClusterIp = "10.96.0.1"
			s.Spec.ClusterIps = []string{"10.96.0.2"}
		}, []string{"spec.clusterIPs"}},
		{"bad selector", func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "-web"} }, []string{"spec.selector"}},
		{"bad session affinity", func(s *corev1.Service) { s.Spec.SessionAffinity = "Sticky" }, []string{"spec.sessionAffinity"}},
		{"affinity config without ClientIP", func(s *corev1.Service) {
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIp: &corev1.ClientIPConfig{TimeoutSeconds: proto.Int32(10)}}
		}, []string{"spec.sessionAffinityConfig"}},
		{"affinity timeout too long", func(s *corev1.Service) {
			s.Spec.SessionAffinity = "ClientIP"
			s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIp: &corev1.ClientIPConfig{TimeoutSeconds: proto.Int32(100000)}}
		}, []string{"spec.sessionAffinityConfig.clientIP.timeoutSeconds"}},
		{"bad external IP", func(s *corev1.Service) { s.Spec.ExternalIps = []string{"example.com"} }, []string{"spec.externalIPs[0]"}},
		{"external traffic policy on ClusterIP", func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = "Local" }, []string{"spec.externalTrafficPolicy"}},
		{"external traffic policy with external IPs", func(s *corev1.Service) {
			s.Spec.ExternalIps = []string{"192.0.2.10"}
			s.Spec.ExternalTrafficPolicy = "Local"
		}, nil},
		{"ExternalName without name", func(s *corev1.Service) {
			s.Spec.Type = "ExternalName"
		}, []string{"spec.externalName"}},
		{"ExternalName with cluster IP", func(s *corev1.Service) {
			s.Spec.Type = "ExternalName"
			s.Spec.ExternalName = "db.example.com"
			s.Spec.ClusterIp = "10.96.0.1"
			s.Spec.ClusterIps = []string{"10.96.0.1"}
		}, []string{"spec.clusterIP"}},
		{"headless NodePort", func(s *corev1.Service) {
			s.Spec.Type = "NodePort"
			s.Spec.ClusterIp = "None"
			s.Spec.ClusterIps = []string{"None"}
		}, []string{"spec.clusterIPs[0]"}},
		{"bad ip family", func(s *corev1.Service) { s.Spec.IpFamilies = []string{"IPv5"} }, []string{"spec.ipFamilies[0]"}},
	})
}

func TestServiceUpdate(t *testing.T) {
	withIP := func() *corev1.Service {
		s := validService()
		s.Spec.ClusterIp = "10.96.0.10"
		s.Spec.ClusterIps = []string{"10.96.0.10"}
		return s
	}
	runUpdate(t, serviceStrategy{}, withIP, []fieldCase[*corev1.Service]{
		{"selector change", func(s *corev1.Service) { s.Spec.Selector["tier"] = "front" }, nil},
		{"cluster IP change", func(s *corev1.Service) {
			s.Spec.ClusterIp = "10.96.0.11"
			s.Spec.ClusterIps = []string{"10.96.0.11"}
		}, []string{"spec.clusterIP"}},
		{"to ExternalName", func(s *corev1.Service) {
			s.Spec.Type = "ExternalName"
			s.Spec.ExternalName = "db.example.com"
			s.Spec.ClusterIp = ""
			s.Spec.ClusterIps = nil
		}, nil},
	})
}

func TestServicePrepareForUpdate(t *testing.T) {
	old := validService()
	old.Spec.Type = "NodePort"
	old.Spec.ClusterIp = "10.96.0.10"
	old.Spec.ClusterIps = []string{"10.96.0.10"}
	old.Spec.Ports[0].NodePort = 30080
	old.Spec.Ports[1].NodePort = 30090

	cur := proto.Clone(old).(*corev1.Service)
	cur.Spec.ClusterIp, cur.Spec.ClusterIps = "", nil
	cur.Spec.Ports[0].NodePort = 0
	cur.Spec.Ports[1].NodePort = 31000
	serviceStrategy{}.PrepareForUpdate(cur, old)
	if cur.Spec.ClusterIp != "10.96.0.10" || len(cur.Spec.ClusterIps) != 1 {
		t.Errorf("cluster IP not carried over: %v", cur.Spec)
	}
	if cur.Spec.Ports[0].NodePort != 30080 || cur.Spec.Ports[1].NodePort != 31000 {
		t.Errorf("node ports: got %d and %d, want 30080 kept and 31000 as asked", cur.Spec.Ports[0].NodePort, cur.Spec.Ports[1].NodePort)
	}
	if errs := (serviceStrategy{}).ValidateUpdate(cur, old); len(errs) > 0 {
		t.Errorf("prepared update is invalid: %v", describe(errs))
	}
}

// TestServiceUpdateDropsExternalTrafficPolicy checks that a service made unreachable from outside
// loses the external traffic policy it kept from before, as an apply of a ClusterIP service over a
// NodePort one does, but keeps one the client changed, which is then refused.
func TestServiceUpdateDropsExternalTrafficPolicy(t *testing.T) {
	old := validService()
	old.Spec.Type = "NodePort"
	serviceStrategy{}.Default(old)
	for _, tc := range []struct {
		name string
		etp  string
		want []string
	}{{"kept from before", "Cluster", nil}, {"changed by the client", "Local", []string{"spec.externalTrafficPolicy"}}} {
		t.Run(tc.name, func(t *testing.T) {
			cur := proto.Clone(old).(*corev1.Service)
			cur.Spec.Type = "ClusterIP"
			cur.Spec.ExternalTrafficPolicy = tc.etp
			serviceStrategy{}.PrepareForUpdate(cur, old)
			serviceStrategy{}.Default(cur)
			if got := fields(serviceStrategy{}.ValidateUpdate(cur, old)); !slices.Equal(got, tc.want) {
				t.Errorf("ValidateUpdate reported %v, want %v", got, tc.want)
			}
		})
	}
}

func TestServiceStatus(t *testing.T) {
	runStatus(t, serviceStrategy{}, validService, []fieldCase[*corev1.Service]{
		{"valid ingress", func(s *corev1.Service) {
			s.Status = &corev1.ServiceStatus{LoadBalancer: &corev1.LoadBalancerStatus{Ingress: []*corev1.LoadBalancerIngress{{Ip: "192.0.2.1"}}}}
		}, nil},
		{"bad ingress IP", func(s *corev1.Service) {
			s.Status = &corev1.ServiceStatus{LoadBalancer: &corev1.LoadBalancerStatus{Ingress: []*corev1.LoadBalancerIngress{{Ip: "x"}}}}
		}, []string{"status.loadBalancer.ingress[0].ip"}},
	})
}
