package rest_test

import (
	"flag"
	"net/http"
	"strings"
	"testing"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
)

var updateCorpus = flag.Bool("update-fuzz-corpus", false, "rewrite the seed corpora under testdata/fuzz")

// TestFuzzCorpus keeps the REST fuzz targets' seed corpora in testdata/fuzz the same as the seeds
// below: real requests of every verb, kind and subresource, each finding of the hardening review
// as an input, and boundary values.
func TestFuzzCorpus(t *testing.T) {
	servertest.CheckCorpus(t, "FuzzRESTRead", readSeeds(t), *updateCorpus)
	servertest.CheckCorpus(t, "FuzzRESTWrite", writeSeeds(t), *updateCorpus)
	servertest.CheckCorpus(t, "FuzzRESTPatch", patchSeeds(t), *updateCorpus)
}

// targetIndex returns the index of path in restTargets.
func targetIndex(t *testing.T, path string) int {
	t.Helper()
	for i, tg := range restTargets {
		if tg.path == path {
			return i
		}
	}
	t.Fatalf("no fuzz target path %s", path)
	return 0
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

const (
	cmPath    = "/api/v1/namespaces/fz/configmaps"
	podsPath  = "/api/v1/namespaces/fz/pods"
	deploys   = "/apis/apps/v1/namespaces/fz/deployments"
	nodesPath = "/api/v1/nodes"

	configMap  = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm2","labels":{"app":"fz"}},"data":{"k":"v"},"binaryData":{"b":"aGVsbG8="}}`
	podPattern = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p2"},"spec":{"containers":[{"name":"c","image":"i",` +
		`"ports":[{"containerPort":PORT}],"resources":{"limits":{"cpu":CPU,"memory":"128Mi"}}}]}}`
	fullPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p3","labels":{"app":"fz"},"annotations":{"a":"b"}},` +
		`"spec":{"restartPolicy":"Always","terminationGracePeriodSeconds":5,"nodeSelector":{"kubernetes.io/hostname":"n"},` +
		`"tolerations":[{"key":"k","operator":"Equal","value":"v","effect":"NoSchedule"}],` +
		`"volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Gi"}},{"name":"c","configMap":{"name":"cm"}}],` +
		`"containers":[{"name":"c","image":"i","command":["sh","-c"],"args":["sleep 1"],"env":[{"name":"A","value":"1"},` +
		`{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],"ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],` +
		`"livenessProbe":{"httpGet":{"path":"/","port":"http"},"periodSeconds":1},"readinessProbe":{"tcpSocket":{"port":8080}},` +
		`"volumeMounts":[{"name":"v","mountPath":"/v"}],"resources":{"requests":{"cpu":"0.5","memory":"1e3"},"limits":{"cpu":"1","memory":"1Gi"}}}]}}`
	deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d2"},"spec":{"replicas":2,` +
		`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":0}},` +
		`"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["x"]}]},` +
		`"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`
	node = `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n2","labels":{"a":"b"}},"spec":{"unschedulable":true,"podCIDR":"127.1.0.0/24"}}`
)

func pod(port, cpu string) string {
	return strings.NewReplacer("PORT", port, "CPU", cpu).Replace(podPattern)
}

func readSeeds(t *testing.T) []servertest.Seed {
	t.Helper()
	seed := func(name, path, query string) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{targetIndex(t, path), query}}
	}
	return []servertest.Seed{
		seed("get-configmap", cmPath+"/cm", ""),
		seed("get-configmap-rv0-pretty", cmPath+"/cm", "resourceVersion=0&pretty=true"),
		seed("get-configmap-exact", cmPath+"/cm", "resourceVersion=@RV@&resourceVersionMatch=Exact"),
		seed("get-missing", cmPath+"/missing", ""),
		seed("get-rv-not-a-number", cmPath+"/cm", "resourceVersion=abc"),
		seed("list-selectors-limit", cmPath, "labelSelector=app%3Dfz&fieldSelector=metadata.name%3Dcm&limit=1"),
		seed("list-set-selector", deploys, "labelSelector=app+in+(fz,x),!missing&fieldSelector=metadata.namespace!%3Dother"),
		seed("list-bad-selectors", podsPath, "labelSelector=a+in+(&fieldSelector=spec.bogus%3D1"),
		seed("list-continue-bogus", cmPath, "limit=1&continue=bm90IGEgdG9rZW4"),
		seed("list-limit-negative", cmPath, "limit=-1"),
		seed("list-limit-max", cmPath, "limit=9223372036854775807"),
		seed("list-limit-overflow", cmPath, "limit=9223372036854775808"),
		seed("list-not-older-than", podsPath, "resourceVersion=@RV@&resourceVersionMatch=NotOlderThan"),
		seed("list-exact-old", podsPath, "resourceVersion=1&resourceVersionMatch=Exact"),
		seed("list-future-rv", cmPath, "resourceVersion=99999999"),
		seed("list-match-bogus", cmPath, "resourceVersion=1&resourceVersionMatch=Frob"),
		seed("list-send-initial-events", cmPath, "sendInitialEvents=true"),
		seed("list-all-namespaces", "/api/v1/configmaps", "limit=500"),
		seed("list-missing-namespace", "/api/v1/namespaces/nope/configmaps", ""),
		seed("list-nodes-field-selector", nodesPath, "fieldSelector=metadata.name%3Dn&labelSelector=kubernetes.io%2Fhostname"),
		seed("watch", cmPath, "watch=true&timeoutSeconds=1"),
		seed("watch-python-spelling", cmPath, "watch=True&timeoutSeconds=1"),
		seed("watch-bogus", cmPath, "watch=bogus"),
		seed("watch-bookmarks-maybe", cmPath, "watch=1&allowWatchBookmarks=maybe&timeoutSeconds=1"),
		seed("watch-bookmarks", podsPath, "watch=true&allowWatchBookmarks=true&resourceVersion=@RV@&timeoutSeconds=2"),
		seed("watch-future-rv-short-timeout", cmPath, "watch=true&resourceVersion=99999999&timeoutSeconds=1"),
		seed("watch-future-rv", cmPath, "watch=true&resourceVersion=99999999"),
		seed("watch-old-rv", cmPath, "watch=true&resourceVersion=1&timeoutSeconds=1"),
		seed("watch-rv0", deploys, "watch=true&resourceVersion=0&timeoutSeconds=1"),
		seed("watch-send-initial-events", podsPath,
			"watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1"),
		seed("watch-send-initial-events-alone", podsPath, "watch=true&sendInitialEvents=true"),
		seed("watch-timeout-negative", cmPath, "watch=true&timeoutSeconds=-1"),
		seed("watch-timeout-zero", cmPath, "watch=true&timeoutSeconds=0"),
		seed("watch-timeout-overflow", cmPath, "watch=true&timeoutSeconds=99999999999999999999"),
		seed("watch-timeout-not-a-number", cmPath, "watch=true&timeoutSeconds=soon"),
		seed("watch-selectors", podsPath, "watch=true&labelSelector=app%3Dfz&fieldSelector=spec.nodeName%3Dn&timeoutSeconds=1"),
		seed("watch-all-namespaces", "/api/v1/configmaps", "watch=true&timeoutSeconds=1"),
		seed("watch-nodes", nodesPath, "watch=1&allowWatchBookmarks=1&timeoutSeconds=1"),
		seed("get-scale", deploys+"/d/scale", ""),
		seed("get-status", podsPath+"/p/status", ""),
		seed("get-binding", podsPath+"/q/binding", ""),
		seed("get-eviction", podsPath+"/p/eviction", ""),
		seed("get-node-status", nodesPath+"/n/status", "pretty=1"),
		seed("log", podsPath+"/p/log", "container=c&tailLines=1&timestamps=true&limitBytes=10&sinceSeconds=60"),
		seed("log-follow", podsPath+"/p/log", "follow=true"),
		seed("log-follow-maybe", podsPath+"/p/log", "follow=maybe"),
		seed("log-previous-spellings", podsPath+"/p/log", "previous=True&timestamps=T&insecureSkipTLSVerifyBackend=1"),
		seed("log-init-container", podsPath+"/p/log", "container=init"),
		seed("log-missing-container", podsPath+"/p/log", "container=nope"),
		seed("log-bounds", podsPath+"/p/log", "sinceSeconds=-1&tailLines=-5&limitBytes=0"),
		seed("log-since-time", podsPath+"/p/log", "sinceTime=2026-01-01T00:00:00Z&sinceSeconds=5"),
		seed("log-unscheduled-pod", podsPath+"/q/log", "container=d"),
		seed("log-choose-container", podsPath+"/q/log", ""),
	}
}

func writeSeeds(t *testing.T) []servertest.Seed {
	t.Helper()
	seed := func(name, method, path, bodyType, query, body string) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{
			indexOf(t, writeMethods, method), targetIndex(t, path), indexOf(t, bodyTypes, bodyType), query, []byte(body)}}
	}
	post := func(name, path, query, body string) servertest.Seed {
		return seed(name, http.MethodPost, path, "application/json", query, body)
	}
	put := func(name, path, query, body string) servertest.Seed {
		return seed(name, http.MethodPut, path, "application/json", query, body)
	}
	del := func(name, path, query, body string) servertest.Seed {
		return seed(name, http.MethodDelete, path, "application/json", query, body)
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	return []servertest.Seed{
		post("create-configmap", cmPath, "fieldManager=fz", configMap),
		post("create-configmap-dry-run-strict", cmPath, "dryRun=All&fieldValidation=Strict&pretty=true", configMap),
		post("create-dry-run-bogus", cmPath, "dryRun=Some", configMap),
		post("create-field-validation-bogus", cmPath, "fieldValidation=Loose", configMap),
		post("create-generate-name", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"g-"}}`),
		post("create-no-metadata", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap"}`),
		post("create-null-metadata", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":null}`),
		post("create-empty-object", cmPath, "", `{}`),
		post("create-null", cmPath, "", `null`),
		post("create-array", cmPath, "", `[]`),
		post("create-empty-body", cmPath, "", ``),
		post("create-client-uid", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u","uid":"6f1c8a1e-0000-4000-8000-000000000001"}}`),
		post("create-trailing-garbage", cmPath, "", configMap+`garbage`),
		post("create-second-document", cmPath, "", configMap+`{"apiVersion":"v1"}`),
		post("create-duplicate-keys-strict", cmPath, "fieldValidation=Strict",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","labels":{"a":"1","a":"2"}}}`),
		post("create-unknown-field-strict", cmPath, "fieldValidation=Strict", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u2"},"bogus":1}`),
		post("create-unknown-field-warn", cmPath, "fieldValidation=Warn", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u3"},"bogus":1}`),
		post("create-self-link", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sl","selfLink":"/api/v1/x"}}`),
		post("create-wrong-kind", cmPath, "", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"w"}}`),
		post("create-other-namespace", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"o","namespace":"default"}}`),
		post("create-missing-namespace", "/api/v1/namespaces/nope/configmaps", "", configMap),
		post("create-bad-name", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_A_Name"}}`),
		post("create-deep-nesting", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":`+deep+`}`),
		post("create-big-data", cmPath, "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"`+strings.Repeat("x", 1600*1024)+`"}}`),
		post("create-pod", podsPath, "fieldManager=kubectl", fullPod),
		post("create-pod-bad-quantity", podsPath, "", pod("80", `"lots"`)),
		post("create-pod-bad-quantity-dry-run", podsPath, "dryRun=All", pod("80", `"lots"`)),
		post("create-pod-number-quantity", podsPath, "", pod("80", `0.5`)),
		post("create-pod-huge-quantity", podsPath, "", pod("80", `"9223372036854775807000Ei"`)),
		post("create-pod-quoted-port", podsPath, "", pod(`"80"`, `"1"`)),
		post("create-pod-port-overflow", podsPath, "", pod("4294967377", `"1"`)),
		post("create-pod-port-float", podsPath, "", pod("80.5", `"1"`)),
		post("create-deployment", deploys, "", deployment),
		post("create-node", nodesPath, "", node),
		post("create-binding", podsPath+"/q/binding", "",
			`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"q"},"target":{"apiVersion":"v1","kind":"Node","name":"n"}}`),
		post("create-binding-dry-run", podsPath+"/q/binding", "dryRun=All", `{"kind":"Binding","target":{"name":"n"}}`),
		post("create-binding-wrong-kind", podsPath+"/q/binding", "", `{"kind":"Pod","target":{"name":"n"}}`),
		post("create-binding-bound-pod", podsPath+"/p/binding", "", `{"kind":"Binding","target":{"name":"n"}}`),
		post("create-eviction", podsPath+"/p/eviction", "",
			`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p","namespace":"fz"},"deleteOptions":{"gracePeriodSeconds":0}}`),
		post("create-eviction-dry-run", podsPath+"/q/eviction", "",
			`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"q"},"deleteOptions":{"dryRun":["All"],"preconditions":{"resourceVersion":"@RV@"}}}`),
		post("create-eviction-null", podsPath+"/p/eviction", "", `null`),
		seed("create-protobuf-garbage", http.MethodPost, cmPath, "application/vnd.kubernetes.protobuf", "", "k8s\x00\x0a\x04\x0a\x02v1\x12\xff\xff"),
		seed("create-yaml", http.MethodPost, cmPath, "application/yaml", "", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n"),
		seed("create-no-content-type", http.MethodPost, cmPath, "", "", configMap),
		put("update-configmap", cmPath+"/cm", "fieldManager=fz",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"fz","resourceVersion":"@RV@"},"data":{"a":"z"}}`),
		put("update-configmap-unconditional", cmPath+"/cm", "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"a":"y"}}`),
		put("update-configmap-stale", cmPath+"/cm", "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","resourceVersion":"1"}}`),
		put("update-configmap-name-mismatch", cmPath+"/cm", "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}}`),
		put("update-configmap-namespace-change", cmPath+"/cm", "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}`),
		put("update-configmap-uid-change", cmPath+"/cm", "",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","uid":"6f1c8a1e-0000-4000-8000-000000000002"}}`),
		put("update-configmap-dry-run", cmPath+"/cm", "dryRun=All", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"dry":"run"}}`),
		put("update-missing", cmPath+"/missing", "", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"missing"}}`),
		put("update-pod-status", podsPath+"/p/status", "",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"status":{"phase":"Running","podIP":"127.0.0.5","conditions":[{"type":"Ready","status":"True"}]}}`),
		put("update-pod-spec-immutable", podsPath+"/p", "",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"other","containers":[{"name":"c","image":"j"}]}}`),
		put("update-scale", deploys+"/d/scale", "",
			`{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"d","namespace":"fz"},"spec":{"replicas":3}}`),
		put("update-scale-negative", deploys+"/d/scale", "", `{"kind":"Scale","metadata":{"name":"d"},"spec":{"replicas":-1}}`),
		put("update-scale-overflow", deploys+"/d/scale", "", `{"kind":"Scale","metadata":{"name":"d"},"spec":{"replicas":2147483648}}`),
		put("update-scale-stale", deploys+"/d/scale", "", `{"kind":"Scale","metadata":{"name":"d","resourceVersion":"1"},"spec":{"replicas":1}}`),
		put("update-deployment-status", deploys+"/d/status", "",
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"status":{"replicas":5,"readyReplicas":-1}}`),
		put("update-node-status", nodesPath+"/n/status", "",
			`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True"}]}}`),
		put("update-node-bad-quantity", nodesPath+"/n/status", "", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n"},"status":{"capacity":{"cpu":"lots"}}}`),
		put("update-binding", podsPath+"/q/binding", "", `{"kind":"Binding","target":{"name":"n"}}`),
		put("update-collection", cmPath, "", configMap),
		del("delete-configmap", cmPath+"/cm", "", ""),
		del("delete-dry-run-body", cmPath+"/cm", "", `{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}`),
		del("delete-dry-run-query", cmPath+"/cm", "dryRun=All", ""),
		del("delete-stale-precondition", cmPath+"/cm", "", `{"preconditions":{"resourceVersion":"1"}}`),
		del("delete-uid-precondition", cmPath+"/cm", "", `{"preconditions":{"uid":"x","resourceVersion":"@RV@"}}`),
		del("delete-pod-grace", podsPath+"/p", "gracePeriodSeconds=30", ""),
		del("delete-pod-grace-negative", podsPath+"/p", "gracePeriodSeconds=-1", ""),
		del("delete-pod-grace-max", podsPath+"/p", "gracePeriodSeconds=9223372036854775807", ""),
		del("delete-pod-grace-body", podsPath+"/q", "", `{"gracePeriodSeconds":0,"propagationPolicy":"Background"}`),
		del("delete-deployment-orphan", deploys+"/d", "propagationPolicy=Orphan", `{"orphanDependents":true}`),
		del("delete-policy-bogus", deploys+"/d", "propagationPolicy=Frob", ""),
		del("delete-policy-and-orphan", deploys+"/d", "", `{"orphanDependents":false,"propagationPolicy":"Orphan"}`),
		del("delete-node-foreground", nodesPath+"/n", "propagationPolicy=Foreground&orphanDependents=maybe", ""),
		del("delete-body-null", cmPath+"/cm", "", `null`),
		del("delete-body-garbage", cmPath+"/cm", "", `{"gracePeriodSeconds":"soon"}`),
		del("delete-missing", cmPath+"/missing", "", ""),
		del("delete-collection", cmPath, "", ""),
		del("delete-subresource", podsPath+"/p/status", "", ""),
		seed("delete-protobuf-body", http.MethodDelete, cmPath+"/cm", "application/vnd.kubernetes.protobuf", "", "k8s\x00\x0a\x00\x12\x02\x08\x01"),
		seed("delete-yaml-body", http.MethodDelete, cmPath+"/cm", "application/yaml", "", "dryRun: [All]\n"),
	}
}

func patchSeeds(t *testing.T) []servertest.Seed {
	t.Helper()
	seed := func(name, path, patchType, query, patch string) servertest.Seed {
		return servertest.Seed{Name: name, Values: []any{targetIndex(t, path), indexOf(t, patchTypes, patchType), query, []byte(patch)}}
	}
	merge := func(name, path, query, patch string) servertest.Seed {
		return seed(name, path, "application/merge-patch+json", query, patch)
	}
	jsonPatch := func(name, path, query, patch string) servertest.Seed {
		return seed(name, path, "application/json-patch+json", query, patch)
	}
	strategic := func(name, path, query, patch string) servertest.Seed {
		return seed(name, path, "application/strategic-merge-patch+json", query, patch)
	}
	apply := func(name, path, query, patch string) servertest.Seed {
		return seed(name, path, "application/apply-patch+yaml", query, patch)
	}
	cm, d := cmPath+"/cm", deploys+"/d"
	return []servertest.Seed{
		merge("merge", cm, "fieldManager=fz", `{"data":{"a":"z"}}`),
		merge("merge-null-data", cm, "", `{"data":null}`),
		merge("merge-remove-label", cm, "", `{"metadata":{"labels":{"app":null}}}`),
		merge("merge-not-json", cm, "", `{`),
		merge("merge-trailing-garbage", cm, "", `{"data":{"a":"1"}}xyz`),
		merge("merge-change-namespace", cm, "", `{"metadata":{"namespace":"other"}}`),
		merge("merge-change-name", cm, "", `{"metadata":{"name":"other"}}`),
		merge("merge-change-uid", cm, "", `{"metadata":{"uid":"6f1c8a1e-0000-4000-8000-000000000003"}}`),
		merge("merge-stale-rv", cm, "", `{"metadata":{"resourceVersion":"1"}}`),
		merge("merge-current-rv", cm, "", `{"metadata":{"resourceVersion":"@RV@"},"data":{"rv":"ok"}}`),
		merge("merge-dry-run", cm, "dryRun=All", `{"data":{"dry":"run"}}`),
		merge("merge-field-validation-bogus", cm, "fieldValidation=Frob", `{"data":{"a":"1"}}`),
		merge("merge-strict-unknown", cm, "fieldValidation=Strict", `{"bogus":1}`),
		merge("merge-strict-duplicate", cm, "fieldValidation=Strict", `{"data":{"a":"1","a":"2"}}`),
		merge("merge-big-annotation", cm, "", `{"metadata":{"annotations":{"a":"`+strings.Repeat("x", 300*1024)+`"}}}`),
		merge("merge-missing", cmPath+"/missing", "", `{"data":{"a":"1"}}`),
		merge("merge-collection", cmPath, "", `{"data":{"a":"1"}}`),
		merge("merge-quoted-int", d, "", `{"spec":{"replicas":"3"}}`),
		merge("merge-bad-quantity-dry-run", d, "dryRun=All",
			`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"lots"}}}]}}}}`),
		merge("merge-pod-status", podsPath+"/p/status", "", `{"status":{"phase":"Running","hostIP":"127.0.0.1"}}`),
		merge("merge-node-status-addresses", nodesPath+"/n/status", "", `{"status":{"addresses":[{"type":"Hostname","address":"n"}]}}`),
		merge("merge-node-unschedulable", nodesPath+"/n", "", `{"spec":{"unschedulable":true}}`),
		merge("merge-scale", d+"/scale", "", `{"spec":{"replicas":2}}`),
		merge("merge-scale-negative", d+"/scale", "", `{"spec":{"replicas":-2}}`),
		merge("merge-scale-status", d+"/scale", "", `{"status":{"replicas":9}}`),
		jsonPatch("json-patch", cm, "", `[{"op":"replace","path":"/data/a","value":"z"}]`),
		jsonPatch("json-patch-test-fails", cm, "", `[{"op":"test","path":"/data/a","value":"nope"},{"op":"remove","path":"/data"}]`),
		jsonPatch("json-patch-change-namespace", cm, "", `[{"op":"replace","path":"/metadata/namespace","value":"other"}]`),
		jsonPatch("json-patch-remove-metadata", cm, "", `[{"op":"remove","path":"/metadata"}]`),
		jsonPatch("json-patch-bad-path", cm, "", `[{"op":"add","path":"data/a","value":1}]`),
		jsonPatch("json-patch-not-a-list", cm, "", `{"op":"add"}`),
		jsonPatch("json-patch-trailing-garbage", cm, "", `[{"op":"replace","path":"/data/a","value":"z"}] trailing`),
		jsonPatch("json-patch-move", cm, "", `[{"op":"move","from":"/data/a","path":"/metadata/labels/moved"}]`),
		jsonPatch("json-patch-copy-doubling", cm, "", copyDoubling(12)),
		jsonPatch("json-patch-copy-amplification", cm, "", copyAmplification(100*1024, 300)),
		jsonPatch("json-patch-many-operations", cm, "", manyTests(10001)),
		jsonPatch("json-patch-scale", d+"/scale", "", `[{"op":"replace","path":"/spec/replicas","value":4}]`),
		jsonPatch("json-patch-status", podsPath+"/p/status", "", `[{"op":"add","path":"/status/conditions","value":[{"type":"Ready","status":"Maybe"}]}]`),
		strategic("strategic", d, "", `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"j"}]}}}}`),
		strategic("strategic-delete-directive", d, "", `{"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"delete"}]}}}}`),
		strategic("strategic-frob-directive", d, "", `{"spec":{"template":{"spec":{"containers":[{"name":"c","$patch":"frob"}]}}}}`),
		strategic("strategic-frob-top", cm, "", `{"$patch":"frob"}`),
		strategic("strategic-replace-directive", cm, "", `{"data":{"$patch":"replace","x":"y"}}`),
		strategic("strategic-set-element-order", d, "",
			`{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"z"},{"name":"c"}],"containers":[{"name":"z","image":"z"}]}}}}`),
		strategic("strategic-retain-keys", d, "", `{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}`),
		strategic("strategic-delete-from-primitive-list", podsPath+"/p", "", `{"metadata":{"$deleteFromPrimitiveList/finalizers":["x"]}}`),
		strategic("strategic-bad-quantity", d, "", `{"spec":{"template":{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":"lots"}}}]}}}}`),
		strategic("strategic-pod-status", podsPath+"/p/status", "", `{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`),
		strategic("strategic-scale", d+"/scale", "", `{"spec":{"replicas":0}}`),
		strategic("strategic-not-json", cm, "", `{"data":`),
		apply("apply", cm, "fieldManager=fz&force=true", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: applied\n"),
		apply("apply-create", cmPath+"/missing", "fieldManager=fz", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: missing\ndata:\n  a: b\n"),
		apply("apply-conflict", cm, "fieldManager=other", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: mine\n"),
		apply("apply-force-bogus", cm, "fieldManager=fz&force=bogus", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
		apply("apply-no-field-manager", cm, "", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"),
		apply("apply-json", d, "fieldManager=fz&dryRun=All", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":4}}`),
		apply("apply-name-mismatch", cm, "fieldManager=fz", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"),
		apply("apply-yaml-aliases", cm, "fieldManager=fz", yamlAliases(9)),
		apply("apply-status", podsPath+"/p/status", "fieldManager=fz",
			"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nstatus:\n  phase: Running\n"),
		apply("apply-scale", d+"/scale", "fieldManager=fz", "apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: d\nspec:\n  replicas: 2\n"),
		seed("patch-json-content-type", cm, "application/json", "", `{"data":{"a":"1"}}`),
		seed("patch-protobuf-content-type", cm, "application/vnd.kubernetes.protobuf", "", "k8s\x00"),
	}
}

// copyDoubling is a JSON patch whose every operation copies the object's data into itself,
// doubling it n times.
func copyDoubling(n int) string {
	ops := []string{`{"op":"add","path":"/data/x","value":"` + strings.Repeat("x", 1024) + `"}`}
	for i := range n {
		ops = append(ops, `{"op":"copy","from":"/data","path":"/data/d`+strings.Repeat("d", i)+`"}`)
	}
	return "[" + strings.Join(ops, ",") + "]"
}

// copyAmplification is a JSON patch that adds a value of size bytes and copies it n times.
func copyAmplification(size, n int) string {
	ops := []string{`{"op":"add","path":"/metadata/annotations/v","value":"` + strings.Repeat("x", size) + `"}`}
	for i := range n {
		ops = append(ops, `{"op":"copy","from":"/metadata/annotations/v","path":"/metadata/annotations/c`+strings.Repeat("c", i%50)+string(rune('a'+i/50))+`"}`)
	}
	return "[" + strings.Join(ops, ",") + "]"
}

// manyTests is a JSON patch of n test operations that hold.
func manyTests(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(`{"op":"test","path":"/metadata/name","value":"cm"},`, n), ",") + "]"
}

// yamlAliases is an apply configuration whose aliases expand to 10^levels strings.
func yamlAliases(levels int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n")
	b.WriteString("x0: &x0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < levels; i++ {
		p := "*x" + string(rune('0'+i-1))
		b.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [" + strings.TrimSuffix(strings.Repeat(p+",", 10), ",") + "]\n")
	}
	return b.String()
}
