package strategy

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestNamespace(t *testing.T) {
	checkDefault(t, namespaceStrategy{},
		&corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team"}, Spec: &corev1.NamespaceSpec{Finalizers: []string{"example.com/cleanup"}}},
		&corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team", Labels: map[string]string{"kubernetes.io/metadata.name": "team"}},
			Spec:   &corev1.NamespaceSpec{Finalizers: []string{"example.com/cleanup", "kubernetes"}},
			Status: &corev1.NamespaceStatus{Phase: "Active"}})
	valid := func() *corev1.Namespace {
		return defaulted(namespaceStrategy{}, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team"}})
	}
	runValidation(t, namespaceStrategy{}, valid, []fieldCase[*corev1.Namespace]{
		{"unqualified finalizer", func(n *corev1.Namespace) { n.Spec.Finalizers = append(n.Spec.Finalizers, "cleanup") }, []string{"spec.finalizers[1]"}},
		{"bad finalizer", func(n *corev1.Namespace) { n.Spec.Finalizers = []string{"example.com/-x-"} }, []string{"spec.finalizers[0]"}},
	})
	runStatus(t, namespaceStrategy{}, valid, []fieldCase[*corev1.Namespace]{
		{"terminating", func(n *corev1.Namespace) { n.Status.Phase = "Terminating" }, nil},
		{"bad phase", func(n *corev1.Namespace) { n.Status.Phase = "Gone" }, []string{"status.phase"}},
	})
	terminating := func() *corev1.Namespace {
		n := valid()
		n.Status.Phase = "Terminating"
		return n
	}
	runStatus(t, namespaceStrategy{}, terminating, []fieldCase[*corev1.Namespace]{
		{"back to active", func(n *corev1.Namespace) { n.Status.Phase = "Active" }, []string{"status.phase"}},
	})
	if f := (namespaceStrategy{}).SelectableFields(valid()); f["status.phase"] != "Active" || f["metadata.name"] != "team" {
		t.Errorf("SelectableFields = %v", f)
	}
}

func TestConfigMap(t *testing.T) {
	valid := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{Metadata: meta("cfg"), Data: map[string]string{"app.yaml": "a: 1", "MODE": "prod"},
			BinaryData: map[string][]byte{"logo.png": {1, 2}}}
	}
	runValidation(t, configMapStrategy{}, valid, []fieldCase[*corev1.ConfigMap]{
		{"bad key", func(c *corev1.ConfigMap) { c.Data["a/b"] = "x" }, []string{"data[a/b]"}},
		{"dot-dot key", func(c *corev1.ConfigMap) { c.BinaryData[".."] = nil }, []string{"binaryData[..]"}},
		{"key in both", func(c *corev1.ConfigMap) { c.Data["logo.png"] = "x" }, []string{"data[logo.png]"}},
		{"too large", func(c *corev1.ConfigMap) { c.Data["big"] = strings.Repeat("x", maxDataSize) }, []string{"data"}},
	})
	immutable := func() *corev1.ConfigMap {
		c := valid()
		c.Immutable = proto.Bool(true)
		return c
	}
	runUpdate(t, configMapStrategy{}, valid, []fieldCase[*corev1.ConfigMap]{
		{"mutable data change", func(c *corev1.ConfigMap) { c.Data["MODE"] = "dev" }, nil},
	})
	runUpdate(t, configMapStrategy{}, immutable, []fieldCase[*corev1.ConfigMap]{
		{"labels only", func(c *corev1.ConfigMap) { c.Metadata.Labels = map[string]string{"a": "b"} }, nil},
		{"data change", func(c *corev1.ConfigMap) { c.Data["MODE"] = "dev" }, []string{"data"}},
		{"binary data change", func(c *corev1.ConfigMap) { c.BinaryData["logo.png"] = []byte{3} }, []string{"binaryData"}},
		{"made mutable", func(c *corev1.ConfigMap) { c.Immutable = proto.Bool(false) }, []string{"immutable"}},
	})
}

func TestSecret(t *testing.T) {
	checkDefault(t, secretStrategy{},
		&corev1.Secret{Metadata: meta("s"), Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}, StringData: map[string]string{"b": "two", "c": "3"}},
		&corev1.Secret{Metadata: meta("s"), Type: "Opaque", Data: map[string][]byte{"a": []byte("1"), "b": []byte("two"), "c": []byte("3")}})
	valid := func() *corev1.Secret {
		return defaulted(secretStrategy{}, &corev1.Secret{Metadata: meta("s"), Data: map[string][]byte{"password": []byte("x")}})
	}
	runValidation(t, secretStrategy{}, valid, []fieldCase[*corev1.Secret]{
		{"bad key", func(s *corev1.Secret) { s.Data["a b"] = nil }, []string{"data[a b]"}},
		{"tls without key", func(s *corev1.Secret) {
			s.Type = "kubernetes.io/tls"
			s.Data = map[string][]byte{"tls.crt": []byte("c")}
		}, []string{"data[tls.key]"}},
		{"dockerconfigjson not JSON", func(s *corev1.Secret) {
			s.Type = "kubernetes.io/dockerconfigjson"
			s.Data = map[string][]byte{".dockerconfigjson": []byte("{")}
		}, []string{"data[.dockerconfigjson]"}},
		{"token without service account", func(s *corev1.Secret) { s.Type = "kubernetes.io/service-account-token" },
			[]string{"metadata.annotations[kubernetes.io/service-account.name]"}},
	})
	runUpdate(t, secretStrategy{}, valid, []fieldCase[*corev1.Secret]{
		{"data change", func(s *corev1.Secret) { s.Data["password"] = []byte("y") }, nil},
		{"type change", func(s *corev1.Secret) { s.Type = "kubernetes.io/basic-auth" }, []string{"type"}},
	})
	immutable := func() *corev1.Secret {
		s := valid()
		s.Immutable = proto.Bool(true)
		return s
	}
	runUpdate(t, secretStrategy{}, immutable, []fieldCase[*corev1.Secret]{
		{"data change", func(s *corev1.Secret) { s.Data["password"] = []byte("y") }, []string{"data"}},
	})
	if f := (secretStrategy{}).SelectableFields(valid()); f["type"] != "Opaque" {
		t.Errorf("SelectableFields = %v", f)
	}
}

func TestEvent(t *testing.T) {
	valid := func() *corev1.Event {
		return &corev1.Event{Metadata: meta("web.17a"), Reason: "Scheduled", Type: "Normal", Count: 1,
			InvolvedObject: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web", Uid: "u1", ApiVersion: "v1"},
			Source:         &corev1.EventSource{Component: "default-scheduler"}}
	}
	runValidation(t, eventStrategy{}, valid, []fieldCase[*corev1.Event]{
		{"other namespace", func(e *corev1.Event) { e.InvolvedObject.Namespace = "kube-system" }, []string{"involvedObject.namespace"}},
		{"bad type", func(e *corev1.Event) { e.Type = "Error" }, []string{"type"}},
		{"long reason", func(e *corev1.Event) { e.Reason = strings.Repeat("r", 129) }, []string{"reason"}},
		{"negative count", func(e *corev1.Event) { e.Count = -1 }, []string{"count"}},
	})
	runUpdate(t, eventStrategy{}, valid, []fieldCase[*corev1.Event]{
		{"count bump", func(e *corev1.Event) { e.Count = 2 }, nil},
	})
	f := eventStrategy{}.SelectableFields(valid())
	for k, v := range map[string]string{"involvedObject.kind": "Pod", "involvedObject.name": "web", "involvedObject.uid": "u1",
		"reason": "Scheduled", "source": "default-scheduler", "type": "Normal", "involvedObject.fieldPath": "", "reportingComponent": ""} {
		if got, ok := f[k]; !ok || got != v {
			t.Errorf("field %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
}

func TestLease(t *testing.T) {
	valid := func() *coordinationv1.Lease {
		return &coordinationv1.Lease{Metadata: meta("node-1"), Spec: &coordinationv1.LeaseSpec{
			HolderIdentity: proto.String("node-1"), LeaseDurationSeconds: proto.Int32(40)}}
	}
	runValidation(t, leaseStrategy{}, valid, []fieldCase[*coordinationv1.Lease]{
		{"zero duration", func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = proto.Int32(0) }, []string{"spec.leaseDurationSeconds"}},
		{"negative transitions", func(l *coordinationv1.Lease) { l.Spec.LeaseTransitions = proto.Int32(-1) }, []string{"spec.leaseTransitions"}},
	})
	checkDefault(t, leaseStrategy{}, valid(), valid())
}

func TestEndpoints(t *testing.T) {
	valid := func() *corev1.Endpoints {
		return defaulted(endpointsStrategy{}, &corev1.Endpoints{Metadata: meta("web"), Subsets: []*corev1.EndpointSubset{{
			Addresses: []*corev1.EndpointAddress{{Ip: "127.0.0.2", NodeName: proto.String("node-1"),
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "web-1", Namespace: "default"}}},
			NotReadyAddresses: []*corev1.EndpointAddress{{Ip: "10.0.0.3"}},
			Ports:             []*corev1.EndpointPort{{Name: "http", Port: 8080}},
		}}})
	}
	if p := valid().Subsets[0].Ports[0].Protocol; p != "TCP" {
		t.Errorf("protocol defaulted to %q", p)
	}
	runValidation(t, endpointsStrategy{}, valid, []fieldCase[*corev1.Endpoints]{
		{"bad IP", func(e *corev1.Endpoints) { e.Subsets[0].Addresses[0].Ip = "10.0.0" }, []string{"subsets[0].addresses[0].ip"}},
		{"bad port", func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Port = 0 }, []string{"subsets[0].ports[0].port"}},
		{"bad hostname", func(e *corev1.Endpoints) { e.Subsets[0].NotReadyAddresses[0].Hostname = "a.b" }, []string{"subsets[0].notReadyAddresses[0].hostname"}},
		{"no addresses", func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses, e.Subsets[0].NotReadyAddresses = nil, nil
		}, []string{"subsets[0]"}},
	})
}

func TestResourceQuota(t *testing.T) {
	valid := func() *corev1.ResourceQuota {
		return &corev1.ResourceQuota{Metadata: meta("q"), Spec: &corev1.ResourceQuotaSpec{
			Hard:   map[string]string{"pods": "10", "requests.cpu": "4", "count/deployments.apps": "5", "requests.example.com/gpu": "2"},
			Scopes: []string{"NotBestEffort"},
		}}
	}
	runValidation(t, resourceQuotaStrategy{}, valid, []fieldCase[*corev1.ResourceQuota]{
		{"unknown resource", func(q *corev1.ResourceQuota) { q.Spec.Hard["widgets"] = "1" }, []string{"spec.hard[widgets]"}},
		{"bad quantity", func(q *corev1.ResourceQuota) { q.Spec.Hard["pods"] = "ten" }, []string{"spec.hard[pods]"}},
		{"bad scope", func(q *corev1.ResourceQuota) { q.Spec.Scopes = []string{"Cheap"} }, []string{"spec.scopes[0]"}},
		{"conflicting scopes", func(q *corev1.ResourceQuota) { q.Spec.Scopes = append(q.Spec.Scopes, "BestEffort") }, []string{"spec.scopes"}},
		{"scope selector In without values", func(q *corev1.ResourceQuota) {
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []*corev1.ScopedResourceSelectorRequirement{{ScopeName: "PriorityClass", Operator: "In"}}}
		}, []string{"spec.scopeSelector.matchExpressions[0].values"}},
	})
	runStatus(t, resourceQuotaStrategy{}, valid, []fieldCase[*corev1.ResourceQuota]{
		{"bad used", func(q *corev1.ResourceQuota) {
			q.Status = &corev1.ResourceQuotaStatus{Used: map[string]string{"pods": "-1"}}
		}, []string{"status.used[pods]"}},
	})
}

func TestServiceAccount(t *testing.T) {
	valid := func() *corev1.ServiceAccount {
		return &corev1.ServiceAccount{Metadata: meta("builder"), Secrets: []*corev1.ObjectReference{{Name: "builder-token"}},
			ImagePullSecrets: []*corev1.LocalObjectReference{{Name: "registry"}}}
	}
	runValidation(t, serviceAccountStrategy{}, valid, []fieldCase[*corev1.ServiceAccount]{
		{"bad secret name", func(s *corev1.ServiceAccount) { s.Secrets[0].Name = "Token!" }, []string{"secrets[0].name"}},
		{"pull secret without name", func(s *corev1.ServiceAccount) { s.ImagePullSecrets[0].Name = "" }, []string{"imagePullSecrets[0].name"}},
	})
}

func TestSetCoversBuiltin(t *testing.T) {
	set := NewSet()
	for _, k := range scheme.Builtin().Kinds() {
		s := set.ForKind(k)
		if s == nil {
			t.Errorf("no strategy for %s", k.GVR())
			continue
		}
		// Every strategy must accept an empty object of its kind without panicking and report the
		// metadata fields.
		obj := k.New()
		s.Default(obj)
		_ = s.Validate(obj)
		f := s.SelectableFields(k.New())
		if _, ok := f["metadata.name"]; !ok {
			t.Errorf("%s: SelectableFields lacks metadata.name", k.Kind)
		}
		if _, ok := f["metadata.namespace"]; !ok {
			t.Errorf("%s: SelectableFields lacks metadata.namespace", k.Kind)
		}
	}
	if s := set.ForKind(&scheme.Kind{GroupVersionKind: scheme.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}}); s != nil {
		t.Errorf("ForKind of an unknown kind = %T, want nil", s)
	}
}
