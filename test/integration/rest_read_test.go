package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"

	"github.com/keelson-dev/keelson/test/framework"
)

func TestRESTDiscoveryNamesResourcesAndSubresources(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	code, api := restDo(t, http.MethodGet, base+"/api", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "APIVersions", api["kind"])
	require.Equal(t, []any{"v1"}, api["versions"])

	code, groups := restDo(t, http.MethodGet, base+"/apis", "", "")
	require.Equal(t, http.StatusOK, code)
	var names []string
	for _, g := range groups["groups"].([]any) {
		names = append(names, g.(map[string]any)["name"].(string))
	}
	require.ElementsMatch(t, []string{"apps", "batch", "coordination.k8s.io", "rbac.authorization.k8s.io", "authorization.k8s.io", "authentication.k8s.io", "certificates.k8s.io"}, names)

	code, core := restDo(t, http.MethodGet, base+"/api/v1", "", "")
	require.Equal(t, http.StatusOK, code)
	byName := map[string]map[string]any{}
	for _, r := range core["resources"].([]any) {
		byName[r.(map[string]any)["name"].(string)] = r.(map[string]any)
	}
	require.Equal(t, []any{"po"}, byName["pods"]["shortNames"])
	require.Equal(t, []any{"all"}, byName["pods"]["categories"])
	require.Equal(t, true, byName["pods"]["namespaced"])
	require.Equal(t, false, byName["nodes"]["namespaced"])
	require.Equal(t, "Eviction", byName["pods/eviction"]["kind"])
	require.Equal(t, "policy", byName["pods/eviction"]["group"])
	require.Equal(t, "Pod", byName["pods/log"]["kind"])
	require.Equal(t, []any{"get"}, byName["pods/log"]["verbs"])
	require.Equal(t, "Scale", byName["replicationcontrollers/scale"]["kind"])
	require.Equal(t, "autoscaling", byName["replicationcontrollers/scale"]["group"])
	require.Contains(t, byName["pods"]["verbs"], "watch")

	code, _ = restDo(t, http.MethodGet, base+"/apis/nope/v1", "", "")
	require.Equal(t, http.StatusNotFound, code)
	code, idx := restDo(t, http.MethodGet, base+"/openapi/v3", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, idx["paths"], "apis/apps/v1")
}

func TestRESTErrorsAreStatusObjects(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	code, st := restDo(t, http.MethodGet, base+"/apis/apps/v1/namespaces/default/deployments/nope", "", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, map[string]any{
		"apiVersion": "v1", "kind": "Status", "metadata": map[string]any{}, "status": "Failure",
		"message": `deployments.apps "nope" not found`, "reason": "NotFound",
		"details": map[string]any{"name": "nope", "group": "apps", "kind": "deployments"}, "code": float64(404),
	}, st)

	code, st = restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/pods", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c"}]}}`)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, "Invalid", st["reason"])
	var fields []string
	for _, c := range st["details"].(map[string]any)["causes"].([]any) {
		fields = append(fields, c.(map[string]any)["field"].(string))
	}
	require.Contains(t, fields, "metadata.name")
	require.Contains(t, fields, "spec.containers[0].image")

	code, st = restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps?fieldValidation=Strict", "application/json",
		`{"metadata":{"name":"s"},"bogus":1}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, `strict decoding error: unknown field "bogus"`, st["message"])

	code, st = restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps?dryRun=All", "", `{"metadata":{"name":"dry"}}`)
	require.Equal(t, http.StatusCreated, code, st)
	code, _ = restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps/dry", "", "")
	require.Equal(t, http.StatusNotFound, code, "a dry run stores nothing")

	code, _ = restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps", "", `{"metadata":{"name":"p"}}`)
	require.Equal(t, http.StatusCreated, code)
	code, st = restDo(t, http.MethodPatch, base+"/api/v1/namespaces/default/configmaps/p", "application/x-patch", "{}")
	require.Equal(t, http.StatusUnsupportedMediaType, code)
	require.Equal(t, "UnsupportedMediaType", st["reason"])
	code, st = restDo(t, http.MethodPatch, base+"/api/v1/namespaces/default/configmaps/p", "application/apply-patch+yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n")
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`, st["message"])
	code, st = restDo(t, http.MethodPatch, base+"/api/v1/namespaces/default/configmaps/new?fieldManager=t", "application/apply-patch+yaml",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {k: v}\n")
	require.Equal(t, http.StatusCreated, code, st)
	require.Equal(t, "t", st["metadata"].(map[string]any)["managedFields"].([]any)[0].(map[string]any)["manager"])
	code, st = restDo(t, http.MethodPut, base+"/api/v1/namespaces/default/configmaps/p", "",
		`{"metadata":{"name":"p","resourceVersion":"1"}}`)
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, `Operation cannot be fulfilled on configmaps "p": the object has been modified; please apply your changes to the latest version and try again`, st["message"])
}

func TestRESTListPagesAndTables(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	for i := range 5 {
		code, _ := restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps", "",
			fmt.Sprintf(`{"metadata":{"name":"c%d","labels":{"i":"%d"}},"data":{"a":"b"}}`, i, i%2))
		require.Equal(t, http.StatusCreated, code)
	}
	var names []string
	cont := ""
	for page := 0; ; page++ {
		require.Less(t, page, 5)
		code, l := restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps?limit=2&continue="+cont, "", "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "ConfigMapList", l["kind"])
		for _, it := range l["items"].([]any) {
			names = append(names, it.(map[string]any)["metadata"].(map[string]any)["name"].(string))
		}
		c, _ := l["metadata"].(map[string]any)["continue"].(string)
		if c == "" {
			break
		}
		cont = c
	}
	require.Equal(t, []string{"c0", "c1", "c2", "c3", "c4"}, names)

	code, st := restDo(t, http.MethodGet, base+"/api/v1/configmaps?resourceVersion=999999999", "", "")
	require.Equal(t, http.StatusGatewayTimeout, code)
	require.Equal(t, "Timeout", st["reason"])
	code, st = restDo(t, http.MethodGet, base+"/api/v1/configmaps?resourceVersion=1&resourceVersionMatch=Sometimes", "", "")
	require.Equal(t, http.StatusUnprocessableEntity, code, st)

	code, l := restDo(t, http.MethodGet, base+"/api/v1/configmaps?labelSelector=i%3D1", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, l["items"], 2)
	code, l = restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dc3", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, l["items"], 1)

	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, base+"/api/v1/namespaces/default/configmaps/c1", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var tbl struct {
		Kind              string
		ColumnDefinitions []struct {
			Name, Format string
			Priority     int
		}
		Rows []struct {
			Cells  []any
			Object struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
			}
		}
	}
	require.NoError(t, jsonDecode(resp, &tbl))
	require.Equal(t, "Table", tbl.Kind)
	require.Equal(t, "Name", tbl.ColumnDefinitions[0].Name)
	require.Equal(t, "name", tbl.ColumnDefinitions[0].Format)
	require.Equal(t, "Data", tbl.ColumnDefinitions[1].Name)
	require.Equal(t, []any{"c1", float64(1)}, tbl.Rows[0].Cells[:2])
	require.Equal(t, "PartialObjectMetadata", tbl.Rows[0].Object.Kind)
	require.Equal(t, "default", tbl.Rows[0].Object.Metadata.Namespace)
}

func TestRESTBindingAndEviction(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0) + "/api/v1/namespaces/default/pods"
	code, st := restDo(t, http.MethodPost, base, "", `{"metadata":{"name":"b"},"spec":{"containers":[{"name":"c","image":"i"}]}}`)
	require.Equal(t, http.StatusCreated, code, st)
	code, st = restDo(t, http.MethodPost, base+"/b/binding", "", `{"apiVersion":"v1","kind":"Binding","metadata":{"name":"b"},"target":{"kind":"Node","name":"n1"}}`)
	require.Equal(t, http.StatusCreated, code, st)
	require.Equal(t, "Success", st["status"])
	code, pod := restDo(t, http.MethodGet, base+"/b", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "n1", pod["spec"].(map[string]any)["nodeName"])
	code, st = restDo(t, http.MethodPost, base+"/b/binding", "", `{"metadata":{"name":"b"},"target":{"kind":"Node","name":"n2"}}`)
	require.Equal(t, http.StatusConflict, code, st)

	code, st = restDo(t, http.MethodPost, base+"/b/eviction", "", `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"b"},"deleteOptions":{"gracePeriodSeconds":0}}`)
	require.Equal(t, http.StatusCreated, code, st)
	framework.Eventually(t, 10*time.Second, func() bool {
		code, _ := restDo(t, http.MethodGet, base+"/b", "", "")
		return code == http.StatusNotFound
	}, "the evicted pod is still there")
	code, st = restDo(t, http.MethodPost, base+"/b/eviction", "", `{"metadata":{"name":"b"}}`)
	require.Equal(t, http.StatusNotFound, code, st)
}

// kubectl asks for aggregated discovery first and takes all of /api and /apis from two answers.
func TestRESTAggregatedDiscovery(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	resources := map[string]metav1.APIResource{}
	for _, path := range []string{"/api", "/apis"} {
		req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", discovery.AcceptV2+","+discovery.AcceptV2Beta1+","+discovery.AcceptV1)
		resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
		require.NoError(t, err)
		var list apidiscoveryv2.APIGroupDiscoveryList
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", resp.Header.Get("Content-Type"))
		require.Equal(t, "APIGroupDiscoveryList", list.Kind)

		groups, byGV, failed := discovery.SplitGroupsAndResources(list)
		require.Empty(t, failed)
		for _, g := range groups.Groups {
			require.Equal(t, path == "/api", g.Name == "", "group %q served at %s", g.Name, path)
		}
		for gv, rl := range byGV {
			for _, r := range rl.APIResources {
				resources[gv.String()+" "+r.Name] = r
			}
		}
	}
	pods := resources["v1 pods"]
	require.Equal(t, "Pod", pods.Kind)
	require.True(t, pods.Namespaced)
	require.Equal(t, []string{"po"}, pods.ShortNames)
	require.Equal(t, []string{"all"}, pods.Categories)
	require.Contains(t, pods.Verbs, "watch")
	require.Equal(t, metav1.APIResource{Name: "pods/eviction", SingularName: "pod", Namespaced: true,
		Group: "policy", Version: "v1", Kind: "Eviction", Verbs: []string{"create"}}, resources["v1 pods/eviction"])
	require.Equal(t, "Pod", resources["v1 pods/log"].Kind)
	require.Equal(t, "Scale", resources["apps/v1 deployments/scale"].Kind)
	require.False(t, resources["v1 nodes"].Namespaced)
	require.Equal(t, []string{"deploy"}, resources["apps/v1 deployments"].ShortNames)
	require.Equal(t, []string{"create"}, []string(resources["authorization.k8s.io/v1 selfsubjectaccessreviews"].Verbs))
	require.Equal(t, "SelfSubjectReview", resources["authentication.k8s.io/v1 selfsubjectreviews"].Kind)
	require.False(t, resources["rbac.authorization.k8s.io/v1 clusterroles"].Namespaced)

	// Without the aggregated type first, the plain documents.
	code, api := restDo(t, http.MethodGet, base+"/api", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "APIVersions", api["kind"])
}
