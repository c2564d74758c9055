package grpcapi_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

var updateCorpus = flag.Bool("update-fuzz-corpus", false, "rewrite the seed corpora under testdata/fuzz")

// TestFuzzCorpus keeps the gRPC fuzz targets' seed corpora in testdata/fuzz the same as the seeds
// below: real requests of every method, kind and subresource, each finding of the hardening review
// as an input, and boundary values.
func TestFuzzCorpus(t *testing.T) {
	servertest.CheckCorpus(t, "FuzzGRPCRequest", requestSeeds(t), *updateCorpus)
	servertest.CheckCorpus(t, "FuzzGRPCObject", objectSeeds(t), *updateCorpus)
}

var (
	configMaps  = &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	pods        = &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}
	deployments = &resourcev1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	nodes       = &resourcev1.GroupVersionResource{Version: "v1", Resource: "nodes"}
)

const (
	configMapJSON  = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm2","labels":{"app":"fz"}},"data":{"k":"v"}}`
	configMapFixed = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"fz"},"data":{"a":"z"}}`
	podStatusJSON  = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"fz"},"spec":{"nodeName":"n","containers":[{"name":"c","image":"i"}]},` +
		`"status":{"phase":"Running","podIP":"127.0.0.5","conditions":[{"type":"Ready","status":"True"}]}}`
	podBadQuantity = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p2"},"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"lots"}}}]}}`
	podHugeMemory  = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p3"},"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"memory":"9223372036854775807000Ei"}}}]}}`
	deploymentJSON = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d2"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"x"}},` +
		`"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`
	nodeJSON     = `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n2"},"status":{"capacity":{"cpu":"4","memory":"8Gi"}}}`
	scaleJSON    = `{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"d","namespace":"fz"},"spec":{"replicas":3}}`
	bindingJSON  = `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"q","namespace":"fz"},"target":{"kind":"Node","name":"n"}}`
	evictionJSON = `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"fz"},"deleteOptions":{"gracePeriodSeconds":0}}`
)

// encode returns the protobuf encoding of the Kubernetes JSON doc of the kind group/version/kind.
func encode(t *testing.T, gvk scheme.GroupVersionKind, doc string) []byte {
	t.Helper()
	k, ok := scheme.Builtin().ByKind(gvk)
	if !ok {
		t.Fatalf("no kind %v", gvk)
	}
	obj, err := kubejson.FromJSON(k, []byte(doc), kubejson.DecodeOptions{})
	if err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodeMessage returns the protobuf encoding of the Kubernetes JSON doc of a subresource's
// message into.
func encodeMessage(t *testing.T, into proto.Message, doc string) []byte {
	t.Helper()
	m := map[string]any{}
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber() // as the REST edge decodes, so integers stay integers
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	if err := kubejson.MapToMessage(m, into, kubejson.DecodeOptions{}); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(into)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withUnknown appends a field the message does not declare, of n bytes.
func withUnknown(b []byte, n int) []byte {
	b = append([]byte(nil), b...)
	b = protowire.AppendTag(b, 9999, protowire.BytesType)
	return protowire.AppendBytes(b, []byte(strings.Repeat("u", n)))
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rpcIndex(t *testing.T, name string) int {
	t.Helper()
	for i, r := range rpcs {
		if r.name == name {
			return i
		}
	}
	t.Fatalf("no method %s", name)
	return 0
}

func requestSeeds(t *testing.T) []servertest.Seed {
	t.Helper()
	seed := func(name, method string, req proto.Message) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{rpcIndex(t, method), marshal(t, req)}}
	}
	raw := func(name, method string, b []byte) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{rpcIndex(t, method), b}}
	}
	cm := func(doc string) *anypb.Any {
		return &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.ConfigMap",
			Value: encode(t, scheme.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, doc)}
	}
	grace, negative := int64(30), int64(-1)
	staleRV, badUID := "1", "x"
	return []servertest.Seed{
		seed("get", "Get", &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "cm"}),
		seed("get-rv0", "Get", &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "cm", ResourceVersion: "0"}),
		seed("get-rv-not-a-number", "Get", &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "cm", ResourceVersion: "abc"}),
		seed("get-future-rv", "Get", &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "cm", ResourceVersion: "99999999"}),
		seed("get-missing", "Get", &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "missing"}),
		seed("get-scale", "Get", &resourcev1.GetRequest{Resource: deployments, Namespace: "fz", Name: "d", Subresource: "scale"}),
		seed("get-status", "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "fz", Name: "p", Subresource: "status"}),
		seed("get-no-resource", "Get", &resourcev1.GetRequest{Namespace: "fz", Name: "cm"}),
		seed("get-unknown-resource", "Get", &resourcev1.GetRequest{Resource: &resourcev1.GroupVersionResource{Group: "x", Version: "v9", Resource: "frobs"}, Name: "a"}),
		seed("get-node", "Get", &resourcev1.GetRequest{Resource: nodes, Name: "n"}),
		seed("get-node-with-namespace", "Get", &resourcev1.GetRequest{Resource: nodes, Namespace: "fz", Name: "n"}),
		seed("list", "List", &resourcev1.ListRequest{Resource: configMaps, Namespace: "fz", LabelSelector: "app=fz", FieldSelector: "metadata.name=cm", Limit: 1}),
		seed("list-bad-selectors", "List", &resourcev1.ListRequest{Resource: pods, LabelSelector: "a in (", FieldSelector: "spec.bogus=1"}),
		seed("list-limit-negative", "List", &resourcev1.ListRequest{Resource: configMaps, Limit: -1}),
		seed("list-continue-bogus", "List", &resourcev1.ListRequest{Resource: configMaps, Namespace: "fz", Limit: 1, Continue: "bm90IGEgdG9rZW4"}),
		seed("list-future-rv", "List", &resourcev1.ListRequest{Resource: configMaps, ResourceVersion: "99999999"}),
		seed("list-missing-namespace", "List", &resourcev1.ListRequest{Resource: configMaps, Namespace: "nope"}),
		seed("watch", "Watch", &resourcev1.WatchRequest{Resource: configMaps, Namespace: "fz", TimeoutSeconds: 1}),
		seed("watch-bookmarks", "Watch", &resourcev1.WatchRequest{Resource: pods, Namespace: "fz", AllowBookmarks: true, TimeoutSeconds: 2}),
		seed("watch-timeout-negative", "Watch", &resourcev1.WatchRequest{Resource: configMaps, TimeoutSeconds: -1}),
		seed("watch-timeout-max", "Watch", &resourcev1.WatchRequest{Resource: configMaps, TimeoutSeconds: 1<<63 - 1}),
		seed("watch-future-rv-short-timeout", "Watch", &resourcev1.WatchRequest{Resource: configMaps, ResourceVersion: "99999999", TimeoutSeconds: 1}),
		seed("watch-old-rv", "Watch", &resourcev1.WatchRequest{Resource: configMaps, ResourceVersion: "1", TimeoutSeconds: 1}),
		seed("watch-send-initial-events", "Watch", &resourcev1.WatchRequest{Resource: pods, Namespace: "fz", SendInitialEvents: true, AllowBookmarks: true, TimeoutSeconds: 1}),
		seed("watch-selectors", "Watch", &resourcev1.WatchRequest{Resource: pods, LabelSelector: "app=fz", FieldSelector: "spec.nodeName=n", TimeoutSeconds: 1}),
		seed("create", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapJSON), FieldManager: "fz"}),
		seed("create-dry-run", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapJSON), DryRun: true}),
		seed("create-uid", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapJSON), Uid: "6f1c8a1e-0000-4000-8000-000000000001"}),
		seed("create-bad-uid", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapJSON), Uid: "not-a-uuid"}),
		seed("create-no-object", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz"}),
		seed("create-no-metadata", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz",
			Object: &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.ConfigMap"}}),
		seed("create-wrong-type", "Create", &resourcev1.CreateRequest{Resource: pods, Namespace: "fz", Object: cm(configMapJSON)}),
		seed("create-unknown-fields", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz",
			Object: &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.ConfigMap",
				Value: withUnknown(encode(t, scheme.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, configMapJSON), 45*1024)}}),
		seed("create-missing-namespace", "Create", &resourcev1.CreateRequest{Resource: configMaps, Namespace: "nope", Object: cm(configMapJSON)}),
		seed("create-subresource-bogus", "Create", &resourcev1.CreateRequest{Resource: pods, Namespace: "fz", Name: "p", Subresource: "frob", Object: cm(configMapJSON)}),
		seed("update", "Update", &resourcev1.UpdateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapFixed), FieldManager: "fz"}),
		seed("update-no-object", "Update", &resourcev1.UpdateRequest{Resource: configMaps, Namespace: "fz"}),
		seed("update-scale-no-object", "Update", &resourcev1.UpdateRequest{Resource: deployments, Namespace: "fz", Subresource: "scale"}),
		seed("update-status-no-object", "UpdateStatus", &resourcev1.UpdateRequest{Resource: pods, Namespace: "fz"}),
		seed("update-status-configmap", "UpdateStatus", &resourcev1.UpdateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapFixed)}),
		seed("delete", "Delete", &resourcev1.DeleteRequest{Resource: configMaps, Namespace: "fz", Name: "cm", Options: &resourcev1.DeleteOptions{}}),
		seed("delete-no-options", "Delete", &resourcev1.DeleteRequest{Resource: configMaps, Namespace: "fz", Name: "cm"}),
		seed("delete-dry-run", "Delete", &resourcev1.DeleteRequest{Resource: configMaps, Namespace: "fz", Name: "cm", Options: &resourcev1.DeleteOptions{DryRun: true}}),
		seed("delete-stale-precondition", "Delete", &resourcev1.DeleteRequest{Resource: configMaps, Namespace: "fz", Name: "cm",
			Options: &resourcev1.DeleteOptions{Preconditions: &resourcev1.Preconditions{ResourceVersion: &staleRV, Uid: &badUID}}}),
		seed("delete-pod-grace", "Delete", &resourcev1.DeleteRequest{Resource: pods, Namespace: "fz", Name: "p", Options: &resourcev1.DeleteOptions{GracePeriodSeconds: &grace}}),
		seed("delete-pod-grace-negative", "Delete", &resourcev1.DeleteRequest{Resource: pods, Namespace: "fz", Name: "p", Options: &resourcev1.DeleteOptions{GracePeriodSeconds: &negative}}),
		seed("delete-policy-bogus", "Delete", &resourcev1.DeleteRequest{Resource: deployments, Namespace: "fz", Name: "d", Options: &resourcev1.DeleteOptions{PropagationPolicy: "Frob"}}),
		seed("delete-node-foreground", "Delete", &resourcev1.DeleteRequest{Resource: nodes, Name: "n", Options: &resourcev1.DeleteOptions{PropagationPolicy: "Foreground"}}),
		seed("delete-missing", "Delete", &resourcev1.DeleteRequest{Resource: configMaps, Namespace: "fz", Name: "missing"}),
		seed("patch-merge", "Patch", &resourcev1.PatchRequest{Resource: configMaps, Namespace: "fz", Name: "cm",
			PatchType: "application/merge-patch+json", Patch: []byte(`{"data":{"a":"z"}}`)}),
		seed("patch-json", "Patch", &resourcev1.PatchRequest{Resource: configMaps, Namespace: "fz", Name: "cm",
			PatchType: "application/json-patch+json", Patch: []byte(`[{"op":"replace","path":"/metadata/namespace","value":"other"}]`)}),
		seed("patch-strategic-frob", "Patch", &resourcev1.PatchRequest{Resource: deployments, Namespace: "fz", Name: "d",
			PatchType: "application/strategic-merge-patch+json", Patch: []byte(`{"$patch":"frob"}`)}),
		seed("patch-apply-force", "Patch", &resourcev1.PatchRequest{Resource: configMaps, Namespace: "fz", Name: "cm", FieldManager: "fz", Force: true,
			PatchType: "application/apply-patch+yaml", Patch: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: applied\n")}),
		seed("patch-apply-no-manager", "Patch", &resourcev1.PatchRequest{Resource: configMaps, Namespace: "fz", Name: "cm",
			PatchType: "application/apply-patch+yaml", Patch: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")}),
		seed("patch-scale", "Patch", &resourcev1.PatchRequest{Resource: deployments, Namespace: "fz", Name: "d", Subresource: "scale",
			PatchType: "application/merge-patch+json", Patch: []byte(`{"spec":{"replicas":2}}`)}),
		seed("patch-status", "Patch", &resourcev1.PatchRequest{Resource: pods, Namespace: "fz", Name: "p", Subresource: "status",
			PatchType: "application/merge-patch+json", Patch: []byte(`{"status":{"phase":"Running"}}`)}),
		seed("patch-type-bogus", "Patch", &resourcev1.PatchRequest{Resource: configMaps, Namespace: "fz", Name: "cm", PatchType: "text/plain", Patch: []byte(`{}`)}),
		seed("patch-quoted-int", "Patch", &resourcev1.PatchRequest{Resource: deployments, Namespace: "fz", Name: "d",
			PatchType: "application/merge-patch+json", Patch: []byte(`{"spec":{"replicas":"3"}}`)}),
		raw("garbage", "Get", []byte("\xff\xff\xff\xff")),
		raw("empty", "Delete", nil),
		raw("truncated", "Create", marshal(t, &resourcev1.CreateRequest{Resource: configMaps, Namespace: "fz", Object: cm(configMapJSON)})[:40]),
		raw("unknown-request-field", "Get", withUnknown(marshal(t, &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz", Name: "cm"}), 16)),
		raw("invalid-utf8-name", "Get", protowire.AppendBytes(
			protowire.AppendTag(marshal(t, &resourcev1.GetRequest{Resource: configMaps, Namespace: "fz"}), 3, protowire.BytesType), []byte("\xff\xfe"))),
	}
}

func objectSeeds(t *testing.T) []servertest.Seed {
	t.Helper()
	seed := func(name, method string, target int, typ int, payload []byte, dryRun bool) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{indexOf(t, objectMethods, method), target, typ, payload, dryRun}}
	}
	tgt := func(resource, name, sub string) int {
		for i, o := range objectTargets {
			if o.resource == resource && o.name == name && o.subresource == sub && o.namespace != "nope" {
				return i
			}
		}
		t.Fatalf("no target %s/%s/%s", resource, name, sub)
		return 0
	}
	typ := func(url string) int { return indexOf(t, typeURLs, "type.googleapis.com/"+url) }
	patch := func(pt string) int { return indexOf(t, patchTypes, pt) }
	core := func(kind, doc string) []byte {
		return encode(t, scheme.GroupVersionKind{Version: "v1", Kind: kind}, doc)
	}
	cm := core("ConfigMap", configMapJSON)
	return []servertest.Seed{
		seed("create-configmap", "Create", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), cm, false),
		seed("create-configmap-dry-run", "Create", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), cm, true),
		seed("create-unknown-fields", "Create", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), withUnknown(cm, 45*1024), false),
		seed("create-empty-object", "Create", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), nil, false),
		seed("create-garbage", "Create", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), []byte("\x0a\xff\xff\xff\x0f"), false),
		seed("create-wrong-type", "Create", tgt("pods", "p", ""), typ("keelson.core.v1.ConfigMap"), cm, false),
		seed("create-missing-namespace", "Create", 2, typ("keelson.core.v1.ConfigMap"), cm, false),
		seed("create-pod-bad-quantity", "Create", tgt("pods", "p", ""), typ("keelson.core.v1.Pod"), core("Pod", podBadQuantity), false),
		seed("create-pod-huge-memory", "Create", tgt("pods", "p", ""), typ("keelson.core.v1.Pod"), core("Pod", podHugeMemory), false),
		seed("create-deployment", "Create", tgt("deployments", "d", ""), typ("keelson.apps.v1.Deployment"),
			encode(t, scheme.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, deploymentJSON), false),
		seed("create-node", "Create", tgt("nodes", "n", ""), typ("keelson.core.v1.Node"), core("Node", nodeJSON), false),
		seed("create-binding", "Create", tgt("pods", "q", "binding"), typ("keelson.core.v1.Binding"), encodeMessage(t, newBinding(), bindingJSON), false),
		seed("create-binding-dry-run", "Create", tgt("pods", "q", "binding"), typ("keelson.core.v1.Binding"), encodeMessage(t, newBinding(), bindingJSON), true),
		seed("create-eviction", "Create", tgt("pods", "p", "eviction"), typ("keelson.policy.v1.Eviction"), encodeMessage(t, newEviction(), evictionJSON), false),
		seed("create-eviction-unknown-fields", "Create", tgt("pods", "q", "eviction"), typ("keelson.policy.v1.Eviction"),
			withUnknown(encodeMessage(t, newEviction(), evictionJSON), 64), false),
		seed("update-configmap", "Update", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"), core("ConfigMap", configMapFixed), false),
		seed("update-configmap-unknown-fields", "Update", tgt("configmaps", "cm", ""), typ("keelson.core.v1.ConfigMap"),
			withUnknown(core("ConfigMap", configMapFixed), 1024), false),
		seed("update-missing", "Update", tgt("configmaps", "missing", ""), typ("keelson.core.v1.ConfigMap"), cm, false),
		seed("update-status", "UpdateStatus", tgt("pods", "p", "status"), typ("keelson.core.v1.Pod"), core("Pod", podStatusJSON), false),
		seed("update-scale", "Update", tgt("deployments", "d", "scale"), typ("keelson.autoscaling.v1.Scale"), encodeMessage(t, newScale(), scaleJSON), false),
		seed("update-scale-wrong-type", "Update", tgt("deployments", "d", "scale"), typ("keelson.core.v1.ConfigMap"), cm, false),
		seed("patch-merge", "Patch", tgt("configmaps", "cm", ""), patch("application/merge-patch+json"), []byte(`{"data":{"a":"z"}}`), false),
		seed("patch-json", "Patch", tgt("configmaps", "cm", ""), patch("application/json-patch+json"), []byte(`[{"op":"add","path":"/data/b","value":"c"}]`), false),
		seed("patch-json-namespace", "Patch", tgt("configmaps", "cm", ""), patch("application/json-patch+json"),
			[]byte(`[{"op":"replace","path":"/metadata/namespace","value":"other"}]`), false),
		seed("patch-strategic", "Patch", tgt("deployments", "d", ""), patch("application/strategic-merge-patch+json"),
			[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"j"}]}}}}`), false),
		seed("patch-strategic-frob", "Patch", tgt("deployments", "d", ""), patch("application/strategic-merge-patch+json"),
			[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"frob"}]}}}}`), false),
		seed("patch-apply", "Patch", tgt("configmaps", "cm", ""), patch("application/apply-patch+yaml"),
			[]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: applied\n"), true),
		seed("patch-bad-quantity", "Patch", tgt("deployments", "d", ""), patch("application/merge-patch+json"),
			[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"lots"}}}]}}}}`), false),
		seed("patch-scale", "Patch", tgt("deployments", "d", "scale"), patch("application/json-patch+json"),
			[]byte(`[{"op":"replace","path":"/spec/replicas","value":5}]`), false),
		seed("patch-node-status", "Patch", tgt("nodes", "n", "status"), patch("application/merge-patch+json"),
			[]byte(`{"status":{"capacity":{"cpu":"8"}}}`), false),
		seed("patch-trailing-garbage", "Patch", tgt("configmaps", "cm", ""), patch("application/merge-patch+json"), []byte(`{"data":{}}}`), false),
	}
}

func indexOf(t *testing.T, xs []string, x string) int {
	t.Helper()
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	t.Fatalf("%q is not among %q", x, xs)
	return 0
}

func newBinding() proto.Message  { return &corev1.Binding{} }
func newEviction() proto.Message { return &policyv1.Eviction{} }
func newScale() proto.Message    { return &autoscalingv1.Scale{} }
