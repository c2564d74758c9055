package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// restResponse is a REST answer: its code, Warning headers and JSON body.
type restResponse struct {
	code     int
	warnings []string
	body     map[string]any
}

// restCall sends a REST request and returns the answer, which must be JSON.
func restCall(t *testing.T, method, url, contentType, body string) restResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	return restResponse{code: resp.StatusCode, warnings: resp.Header.Values("Warning"), body: m}
}

// requireSameError requires a REST Status and a gRPC error to carry one reason and one message.
func requireSameError(t *testing.T, rest restResponse, grpcErr error) {
	t.Helper()
	var se *apierrors.StatusError
	require.True(t, errors.As(apierrors.FromGRPC(grpcErr), &se), "gRPC: %v", grpcErr)
	require.Equal(t, rest.body["reason"], string(se.Reason), "REST %v, gRPC %v", rest.body, grpcErr)
	require.Equal(t, rest.body["message"], se.Message)
	require.EqualValues(t, rest.body["code"], se.Code)
}

func anyOf(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	require.NoError(t, err)
	return a
}

func metaOf(body map[string]any) map[string]any {
	m, _ := body["metadata"].(map[string]any)
	return m
}

// TestStrictCreateChoosesTheUID checks that no create, over REST or gRPC, can give its object a uid
// of its own choosing, and so the uid of another object.
func TestStrictCreateChoosesTheUID(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default/configmaps"
	first := restCall(t, http.MethodPost, base, "application/json", `{"metadata":{"name":"first"}}`)
	require.Equal(t, http.StatusCreated, first.code, first.body)
	taken := metaOf(first.body)["uid"].(string)
	uids := map[string]string{taken: "first"}
	record := func(t *testing.T, name, uid string) {
		t.Helper()
		require.NotEmpty(t, uid)
		require.NotContains(t, uids, uid, "%s got the uid of %s", name, uids[uid])
		uids[uid] = name
	}

	rest := restCall(t, http.MethodPost, base, "application/json", `{"metadata":{"name":"rest","uid":"`+taken+`"}}`)
	require.Equal(t, http.StatusCreated, rest.code, rest.body)
	record(t, "rest", metaOf(rest.body)["uid"].(string))

	applied := restCall(t, http.MethodPatch, base+"/applied?fieldManager=m", "application/apply-patch+yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  uid: "+taken+"\n")
	require.Equal(t, http.StatusCreated, applied.code, applied.body)
	record(t, "applied", metaOf(applied.body)["uid"].(string))

	raw := resourceClient(t, cl)
	for _, tc := range []struct {
		name, metaUID, proposal string
	}{
		{"grpc-meta", taken, ""},
		{"grpc-proposal", "", taken},
		{"grpc-proposal-again", "", taken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm := &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: tc.name, Uid: tc.metaUID}}
			resp, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: configMapsGVR, Namespace: "default", Object: anyOf(t, cm), Uid: tc.proposal})
			require.NoError(t, err)
			var out corev1.ConfigMap
			require.NoError(t, resp.GetObject().UnmarshalTo(&out))
			record(t, tc.name, out.GetMetadata().GetUid())
		})
	}
}

// TestStrictBodiesHoldOneDocument checks that every body-taking REST verb refuses data after the
// object, and an apply a second YAML document, with a BadRequest, and changes nothing.
func TestStrictBodiesHoldOneDocument(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0) + "/api/v1/namespaces/default/configmaps"
	const cm = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"},"data":{"k":"v"}}`
	require.Equal(t, http.StatusCreated, restCall(t, http.MethodPost, base, "application/json", cm).code)
	const changed = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"},"data":{"k":"changed"}}`
	for _, tc := range []struct {
		name, method, path, contentType, body string
	}{
		{"create with garbage", http.MethodPost, "", "application/json", strings.Replace(changed, "kept", "new", 1) + " garbage"},
		{"create with a second document", http.MethodPost, "", "application/json", strings.Replace(changed, "kept", "new", 1) + "\n" + cm},
		{"update with garbage", http.MethodPut, "/kept", "application/json", changed + "]"},
		{"update with a second document", http.MethodPut, "/kept", "application/json", changed + changed},
		{"merge patch with garbage", http.MethodPatch, "/kept", "application/merge-patch+json", `{"data":{"k":"changed"}} x`},
		{"strategic patch with a second document", http.MethodPatch, "/kept", "application/strategic-merge-patch+json", `{"data":{"k":"changed"}}{}`},
		{"JSON patch with garbage", http.MethodPatch, "/kept", "application/json-patch+json", `[{"op":"replace","path":"/data/k","value":"changed"}] x`},
		{"apply with a second YAML document", http.MethodPatch, "/kept?fieldManager=m&force=true", "application/apply-patch+yaml",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\ndata:\n  k: changed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"},
		{"apply with a second JSON document", http.MethodPatch, "/kept?fieldManager=m&force=true", "application/apply-patch+yaml", changed + changed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := restCall(t, tc.method, base+tc.path, tc.contentType, tc.body)
			require.Equal(t, http.StatusBadRequest, r.code, r.body)
			require.Equal(t, "BadRequest", r.body["reason"], r.body)
		})
	}
	got := restCall(t, http.MethodGet, base+"/kept", "", "")
	require.Equal(t, map[string]any{"k": "v"}, got.body["data"])
	require.Equal(t, http.StatusNotFound, restCall(t, http.MethodGet, base+"/new", "", "").code)
}

// TestStrictDuplicateFieldsFollowFieldValidation checks that a key repeated in a body fails under
// fieldValidation=Strict with Kubernetes' message, is a warning under Warn (the default) and is
// accepted silently under Ignore, for a create and for a merge patch's own body.
func TestStrictDuplicateFieldsFollowFieldValidation(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0) + "/api/v1/namespaces/default/configmaps"
	body := func(name string) string {
		return `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `"},"data":{"k":"1","k":"2"}}`
	}
	const warning = `299 - "duplicate field \"data.k\""`

	strict := restCall(t, http.MethodPost, base+"?fieldValidation=Strict", "application/json", body("strict"))
	require.Equal(t, http.StatusBadRequest, strict.code, strict.body)
	require.Equal(t, `strict decoding error: duplicate field "data.k"`, strict.body["message"])

	warn := restCall(t, http.MethodPost, base, "application/json", body("warn"))
	require.Equal(t, http.StatusCreated, warn.code, warn.body)
	require.Equal(t, []string{warning}, warn.warnings)
	require.Equal(t, map[string]any{"k": "2"}, warn.body["data"])

	ignore := restCall(t, http.MethodPost, base+"?fieldValidation=Ignore", "application/json", body("ignore"))
	require.Equal(t, http.StatusCreated, ignore.code, ignore.body)
	require.Empty(t, ignore.warnings)

	const patch = `{"data":{"k":"3","k":"4"}}`
	strict = restCall(t, http.MethodPatch, base+"/warn?fieldValidation=Strict", "application/merge-patch+json", patch)
	require.Equal(t, http.StatusBadRequest, strict.code, strict.body)
	require.Equal(t, `strict decoding error: duplicate field "data.k"`, strict.body["message"])
	warn = restCall(t, http.MethodPatch, base+"/warn", "application/strategic-merge-patch+json", patch)
	require.Equal(t, http.StatusOK, warn.code, warn.body)
	require.Equal(t, []string{warning}, warn.warnings)
}

// TestStrictPatchMayNotMoveTheObject checks that a patch changing metadata.namespace or
// metadata.name fails as a PUT does, with one answer over REST and gRPC, and changes nothing.
func TestStrictPatchMayNotMoveTheObject(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default/configmaps"
	require.Equal(t, http.StatusCreated, restCall(t, http.MethodPost, base, "application/json", `{"metadata":{"name":"kept"},"data":{"k":"v"}}`).code)
	raw := resourceClient(t, cl)
	for _, tc := range []struct {
		name, patchType, patch, msg string
	}{
		{"merge namespace", "application/merge-patch+json", `{"metadata":{"namespace":"kube-system"},"data":{"k":"x"}}`,
			"the namespace of the object (kube-system) does not match the namespace on the URL (default)"},
		{"JSON namespace", "application/json-patch+json", `[{"op":"replace","path":"/metadata/namespace","value":"kube-system"}]`,
			"the namespace of the object (kube-system) does not match the namespace on the URL (default)"},
		{"merge name", "application/merge-patch+json", `{"metadata":{"name":"moved"}}`,
			"the name of the object (moved) does not match the name on the URL (kept)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := restCall(t, http.MethodPatch, base+"/kept", tc.patchType, tc.patch)
			require.Equal(t, http.StatusBadRequest, r.code, r.body)
			require.Equal(t, tc.msg, r.body["message"])
			_, err := raw.Patch(ctx, &resourcev1.PatchRequest{Resource: configMapsGVR, Namespace: "default", Name: "kept",
				PatchType: tc.patchType, Patch: []byte(tc.patch)})
			requireSameError(t, r, err)
		})
	}
	t.Run("strategic namespace", func(t *testing.T) {
		r := restCall(t, http.MethodPatch, base+"/kept", "application/strategic-merge-patch+json", `{"metadata":{"namespace":"kube-system"}}`)
		require.Equal(t, http.StatusBadRequest, r.code, r.body)
	})
	got := restCall(t, http.MethodGet, base+"/kept", "", "")
	require.Equal(t, map[string]any{"k": "v"}, got.body["data"])
}

// TestStrictUnknownPatchDirectiveIsRefused checks that a strategic merge patch with an unknown
// $patch directive, anywhere, is a BadRequest and changes nothing.
func TestStrictUnknownPatchDirectiveIsRefused(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	pods := base + "/api/v1/namespaces/default/pods"
	r := restCall(t, http.MethodPost, pods, "application/json",
		`{"metadata":{"name":"kept","labels":{"a":"b"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}`)
	require.Equal(t, http.StatusCreated, r.code, r.body)
	rss := base + "/apis/apps/v1/namespaces/default/replicasets"
	r = restCall(t, http.MethodPost, rss, "application/json",
		`{"metadata":{"name":"rs"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}}}`)
	require.Equal(t, http.StatusCreated, r.code, r.body)
	for _, tc := range []struct{ name, url, patch string }{
		{"top level", pods + "/kept", `{"$patch":"frob"}`},
		{"in metadata", pods + "/kept", `{"metadata":{"$patch":"frob","labels":{"c":"d"}}}`},
		{"in a map", pods + "/kept", `{"metadata":{"labels":{"$patch":"frob"}}}`},
		{"in a list element", pods + "/kept", `{"spec":{"containers":[{"$patch":"frob","name":"app"}]}}`},
		{"status", pods + "/kept/status", `{"status":{"$patch":"frob"}}`},
		{"scale", rss + "/rs/scale", `{"$patch":"frob","spec":{"replicas":3}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := restCall(t, http.MethodPatch, tc.url, "application/strategic-merge-patch+json", tc.patch)
			require.Equal(t, http.StatusBadRequest, r.code, r.body)
			require.Contains(t, r.body["message"], "frob")
		})
	}
	r = restCall(t, http.MethodGet, pods+"/kept", "", "")
	require.Equal(t, map[string]any{"a": "b"}, metaOf(r.body)["labels"])
	r = restCall(t, http.MethodGet, rss+"/rs", "", "")
	require.EqualValues(t, 1, r.body["spec"].(map[string]any)["replicas"])
}

// TestStrictUnknownProtobufFieldsAreNotStored checks that bytes of fields the schema does not know,
// sent in a gRPC create or update, never reach etcd.
func TestStrictUnknownProtobufFieldsAreNotStored(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	raw := resourceClient(t, cl)
	// smuggle returns cm's encoding with a 45 KB field 999 appended, at the top level and inside
	// metadata.
	smuggle := func(cm *corev1.ConfigMap) *anypb.Any {
		junk := bytes.Repeat([]byte("x"), 45*1024)
		m, err := proto.Marshal(cm.GetMetadata())
		require.NoError(t, err)
		m = protowire.AppendBytes(protowire.AppendTag(m, 999, protowire.BytesType), junk)
		rest := proto.Clone(cm).(*corev1.ConfigMap)
		rest.Metadata = nil
		b, err := proto.Marshal(rest)
		require.NoError(t, err)
		b = protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), m) // metadata is field 1
		b = protowire.AppendBytes(protowire.AppendTag(b, 999, protowire.BytesType), junk)
		return &anypb.Any{TypeUrl: "type.googleapis.com/" + string(cm.ProtoReflect().Descriptor().FullName()), Value: b}
	}
	stored := func(t *testing.T) int {
		t.Helper()
		resp, err := cl.EtcdClient().Get(ctx, "/registry/configmaps/default/smuggled", clientv3.WithPrefix())
		require.NoError(t, err)
		require.Len(t, resp.Kvs, 1)
		return len(resp.Kvs[0].Value)
	}

	cm := &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "smuggled"}, Data: map[string]string{"k": "v"}}
	resp, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: configMapsGVR, Namespace: "default", Object: smuggle(cm)})
	require.NoError(t, err)
	require.Less(t, stored(t), 4096, "the unknown fields were stored")
	require.Less(t, len(resp.GetObject().GetValue()), 4096, "the unknown fields were served")

	var cur corev1.ConfigMap
	require.NoError(t, resp.GetObject().UnmarshalTo(&cur))
	cur.Data["k"] = "w"
	_, err = raw.Update(ctx, &resourcev1.UpdateRequest{Resource: configMapsGVR, Namespace: "default", Object: smuggle(&cur)})
	require.NoError(t, err)
	require.Less(t, stored(t), 4096, "the unknown fields were stored by the update")
}

// TestStrictQuantitiesReadTheSameEverywhere checks that a quantity reads the same over REST and
// gRPC, whichever edge wrote it: it is stored in Kubernetes' canonical form.
func TestStrictQuantitiesReadTheSameEverywhere(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default/pods"
	want := map[string]any{"cpu": "1", "memory": "9223372036854775807"}

	spec := podSpec("nginx")
	spec.Containers[0].Resources = &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1000m", "memory": "9999999999999999999999Ei"}}
	_, err := cl.Client().Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("grpc", nil), Spec: spec})
	require.NoError(t, err)
	r := restCall(t, http.MethodPost, base, "application/json",
		`{"metadata":{"name":"rest"},"spec":{"containers":[{"name":"app","image":"nginx","resources":{"limits":{"cpu":"1000m","memory":"9999999999999999999999Ei"}}}]}}`)
	require.Equal(t, http.StatusCreated, r.code, r.body)

	for _, name := range []string{"grpc", "rest"} {
		t.Run(name, func(t *testing.T) {
			pod, err := cl.Client().Pods("default").Get(ctx, name)
			require.NoError(t, err)
			got := map[string]any{}
			for k, v := range pod.GetSpec().GetContainers()[0].GetResources().GetLimits() {
				got[k] = v
			}
			require.Equal(t, want, got, "gRPC")
			r := restCall(t, http.MethodGet, base+"/"+name, "", "")
			c := r.body["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			require.Equal(t, want, c["resources"].(map[string]any)["limits"], "REST")
		})
	}
}

// TestStrictMalformedQuantitiesAreInvalid checks that a malformed quantity in a field no container
// rule reads is refused at write time with the same Invalid answer over REST and gRPC, rather than
// stored and failing every later REST read.
func TestStrictMalformedQuantitiesAreInvalid(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	raw := resourceClient(t, cl)
	base := cl.URL(0)
	statefulSetsGVR := &resourcev1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
	const bad = "lots"
	pod := func(name string, mutate func(*corev1.PodSpec)) *corev1.Pod {
		spec := &corev1.PodSpec{Containers: []*corev1.Container{{Name: "app", Image: "nginx"}}}
		mutate(spec)
		return &corev1.Pod{Metadata: meta(name, nil), Spec: spec}
	}
	labels := map[string]string{"app": "db"}
	statefulSet := &appsv1.StatefulSet{Metadata: meta("db", nil), Spec: &appsv1.StatefulSetSpec{
		ServiceName: "db", Selector: selector(labels), Template: template(labels, "Always"),
		VolumeClaimTemplates: []*corev1.PersistentVolumeClaim{{
			Metadata: &metav1.ObjectMeta{Name: "data"},
			Spec: &corev1.PersistentVolumeClaimSpec{AccessModes: []string{"ReadWriteOnce"},
				Resources: &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": bad}}},
		}},
	}}
	podJSON := func(name, spec string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"app","image":"nginx"}],` + spec + `}}`
	}
	for _, tc := range []struct {
		name, path, body string
		gvr              *resourcev1.GroupVersionResource
		obj              proto.Message
		field            string
	}{
		{"pod overhead", "/api/v1/namespaces/default/pods", podJSON("overhead", `"overhead":{"cpu":"lots"}`), podsGVR,
			pod("overhead", func(s *corev1.PodSpec) { s.Overhead = map[string]string{"cpu": bad} }), "spec.overhead[cpu]"},
		{"pod-level resources", "/api/v1/namespaces/default/pods", podJSON("podres", `"resources":{"limits":{"memory":"lots"}}`), podsGVR,
			pod("podres", func(s *corev1.PodSpec) {
				s.Resources = &corev1.ResourceRequirements{Limits: map[string]string{"memory": bad}}
			}), "spec.resources.limits[memory]"},
		{"ephemeral volume claim", "/api/v1/namespaces/default/pods",
			podJSON("ephemeral", `"volumes":[{"name":"scratch","ephemeral":{"volumeClaimTemplate":{"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"lots"}}}}}}]`), podsGVR,
			pod("ephemeral", func(s *corev1.PodSpec) {
				s.Volumes = []*corev1.Volume{{Name: "scratch", Ephemeral: &corev1.EphemeralVolumeSource{
					VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: &corev1.PersistentVolumeClaimSpec{
						AccessModes: []string{"ReadWriteOnce"},
						Resources:   &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": bad}}}}}}}
			}), "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]"},
		{"stateful set claim template", "/apis/apps/v1/namespaces/default/statefulsets",
			`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"serviceName":"db","selector":{"matchLabels":{"app":"db"}},` +
				`"template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}},` +
				`"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"lots"}}}}]}}`,
			statefulSetsGVR, statefulSet, "spec.volumeClaimTemplates[0].spec.resources.requests[storage]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := restCall(t, http.MethodPost, base+tc.path, "application/json", tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, r.code, r.body)
			require.Contains(t, r.body["message"], tc.field)
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: tc.gvr, Namespace: "default", Object: anyOf(t, tc.obj)})
			requireSameError(t, r, err)
		})
	}

	t.Run("pod status", func(t *testing.T) {
		created, err := cl.Client().Pods("default").Create(ctx, pod("status", func(*corev1.PodSpec) {}))
		require.NoError(t, err)
		created.Status = &corev1.PodStatus{Phase: "Pending", ContainerStatuses: []*corev1.ContainerStatus{{
			Name: "app", AllocatedResources: map[string]string{"cpu": bad}}}}
		_, grpcErr := raw.UpdateStatus(ctx, &resourcev1.UpdateRequest{Resource: podsGVR, Namespace: "default", Object: anyOf(t, created)})
		r := restCall(t, http.MethodPatch, base+"/api/v1/namespaces/default/pods/status/status", "application/merge-patch+json",
			`{"status":{"containerStatuses":[{"name":"app","allocatedResources":{"cpu":"lots"}}]}}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.code, r.body)
		require.Contains(t, r.body["message"], "status.containerStatuses[0].allocatedResources[cpu]")
		requireSameError(t, r, grpcErr)
	})
}

// TestStrictQuotedIntegersAreRefused checks that an integer sent as a string is a BadRequest with
// the message Kubernetes' decoder gives, on create, update and patch.
func TestStrictQuotedIntegersAreRefused(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0) + "/api/v1/namespaces/default/pods"
	pod := func(name, port string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"app","image":"nginx","ports":[{"containerPort":` + port + `}]}]}}`
	}
	r := restCall(t, http.MethodPost, base, "application/json", pod("kept", "80"))
	require.Equal(t, http.StatusCreated, r.code, r.body)
	const msg = `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`
	for _, tc := range []struct{ name, method, path, contentType, body string }{
		{"create", http.MethodPost, "", "application/json", pod("quoted", `"80"`)},
		{"update", http.MethodPut, "/kept", "application/json", pod("kept", `"80"`)},
		{"merge patch", http.MethodPatch, "/kept", "application/merge-patch+json",
			`{"spec":{"containers":[{"name":"app","image":"nginx","ports":[{"containerPort":"81"}]}]}}`},
		{"strategic patch", http.MethodPatch, "/kept", "application/strategic-merge-patch+json",
			`{"spec":{"containers":[{"name":"app","ports":[{"containerPort":"81"}]}]}}`},
		{"JSON patch", http.MethodPatch, "/kept", "application/json-patch+json",
			`[{"op":"replace","path":"/spec/containers/0/ports/0/containerPort","value":"81"}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := restCall(t, tc.method, base+tc.path, tc.contentType, tc.body)
			require.Equal(t, http.StatusBadRequest, r.code, r.body)
			require.Equal(t, msg, r.body["message"])
		})
	}
}

// TestStrictServerOwnedMetadataAndStatusDefaults checks that a client's selfLink is not stored and
// that a service's load balancer ingress with an ip gets ipMode VIP, over REST and gRPC.
func TestStrictServerOwnedMetadataAndStatusDefaults(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default"
	r := restCall(t, http.MethodPost, base+"/configmaps", "application/json", `{"metadata":{"name":"linked","selfLink":"/api/v1/elsewhere"}}`)
	require.Equal(t, http.StatusCreated, r.code, r.body)
	require.NotContains(t, metaOf(r.body), "selfLink")
	cm, err := cl.Client().ConfigMaps("default").Get(ctx, "linked")
	require.NoError(t, err)
	require.Empty(t, cm.GetMetadata().GetSelfLink())
	cm.Metadata.SelfLink = "/api/v1/elsewhere"
	cm, err = cl.Client().ConfigMaps("default").Update(ctx, cm)
	require.NoError(t, err)
	require.Empty(t, cm.GetMetadata().GetSelfLink())

	for _, name := range []string{"rest-lb", "grpc-lb"} {
		_, err := cl.Client().Services("default").Create(ctx, &corev1.Service{Metadata: meta(name, nil), Spec: &corev1.ServiceSpec{
			Type: "LoadBalancer", Selector: map[string]string{"app": "a"}, Ports: []*corev1.ServicePort{{Port: 80}}}})
		require.NoError(t, err)
	}
	r = restCall(t, http.MethodPatch, base+"/services/rest-lb/status", "application/merge-patch+json",
		`{"status":{"loadBalancer":{"ingress":[{"ip":"127.0.0.9"}]}}}`)
	require.Equal(t, http.StatusOK, r.code, r.body)
	ingress := r.body["status"].(map[string]any)["loadBalancer"].(map[string]any)["ingress"].([]any)
	require.Equal(t, "VIP", ingress[0].(map[string]any)["ipMode"])

	svc, err := cl.Client().Services("default").Get(ctx, "grpc-lb")
	require.NoError(t, err)
	svc.Status = &corev1.ServiceStatus{LoadBalancer: &corev1.LoadBalancerStatus{Ingress: []*corev1.LoadBalancerIngress{{Ip: "127.0.0.10"}}}}
	svc, err = cl.Client().Services("default").UpdateStatus(ctx, svc)
	require.NoError(t, err)
	require.Equal(t, "VIP", svc.GetStatus().GetLoadBalancer().GetIngress()[0].GetIpMode())
}

// TestStrictPodLogBooleans checks that the pod-log booleans are read as every boolean query
// parameter is: a value that is no boolean is a BadRequest naming the parameter.
func TestStrictPodLogBooleans(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0) + "/api/v1/namespaces/default/pods/p/log?"
	for _, q := range []string{"follow=yes", "previous=maybe", "timestamps=2", "insecureSkipTLSVerifyBackend=perhaps"} {
		t.Run(q, func(t *testing.T) {
			r := restCall(t, http.MethodGet, base+q, "", "")
			require.Equal(t, http.StatusBadRequest, r.code, r.body)
			param, value, _ := strings.Cut(q, "=")
			require.Contains(t, r.body["message"], `invalid value "`+value+`" for `+param)
		})
	}
	r := restCall(t, http.MethodGet, base+"follow=true&timestamps=1", "", "")
	require.Equal(t, http.StatusNotFound, r.code, r.body)
}
