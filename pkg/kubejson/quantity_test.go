package kubejson

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestDecodeNumbersAsQuantitiesAndIntOrStrings decodes manifests that write quantities as JSON
// numbers and int-or-strings in both forms, as YAML manifests for Kubernetes do, and reads the
// values back in Kubernetes JSON: a quantity as its canonical string, an int-or-string in the form
// it was written.
func TestDecodeNumbersAsQuantitiesAndIntOrStrings(t *testing.T) {
	sch := scheme.Builtin()
	cases := []struct {
		name       string
		apiVersion string
		kind       string
		body       string
		// want maps a path in the decoded object's Kubernetes JSON to its value there.
		want map[string]any
	}{{
		name: "container resources", apiVersion: "v1", kind: "Pod",
		body: `{"spec":{"containers":[{"name":"c","image":"i","resources":{
			"limits":{"cpu":1,"memory":1024,"example.com/gpu":2},"requests":{"cpu":0.5,"memory":1e3,"ephemeral-storage":"1Gi"}}}]}}`,
		want: map[string]any{
			"spec.containers.0.resources.limits.cpu":                 "1",
			"spec.containers.0.resources.limits.memory":              "1024",
			"spec.containers.0.resources.limits.example.com/gpu":     "2",
			"spec.containers.0.resources.requests.cpu":               "500m",
			"spec.containers.0.resources.requests.memory":            "1e3",
			"spec.containers.0.resources.requests.ephemeral-storage": "1Gi",
		},
	}, {
		name: "init container, overhead, emptyDir size and downward API divisor", apiVersion: "v1", kind: "Pod",
		body: `{"spec":{"overhead":{"cpu":0.25},"initContainers":[{"name":"i","image":"i","resources":{"requests":{"cpu":2}}}],
			"containers":[{"name":"c","image":"i","env":[{"name":"E","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":1}}}]}],
			"volumes":[{"name":"v","emptyDir":{"sizeLimit":512}},{"name":"d","downwardAPI":{"items":[{"path":"p","resourceFieldRef":{"containerName":"c","resource":"limits.memory","divisor":1048576}}]}}]}}`,
		want: map[string]any{
			"spec.overhead.cpu":                                           "250m",
			"spec.initContainers.0.resources.requests.cpu":                "2",
			"spec.containers.0.env.0.valueFrom.resourceFieldRef.divisor":  "1",
			"spec.volumes.0.emptyDir.sizeLimit":                           "512",
			"spec.volumes.1.downwardAPI.items.0.resourceFieldRef.divisor": "1048576",
		},
	}, {
		name: "probe and lifecycle ports", apiVersion: "v1", kind: "Pod",
		body: `{"spec":{"containers":[{"name":"c","image":"i",
			"livenessProbe":{"httpGet":{"port":8080}},"readinessProbe":{"tcpSocket":{"port":"http"}},
			"lifecycle":{"preStop":{"httpGet":{"port":"admin"}},"postStart":{"tcpSocket":{"port":9000}}}}]}}`,
		want: map[string]any{
			"spec.containers.0.livenessProbe.httpGet.port":         json.Number("8080"),
			"spec.containers.0.readinessProbe.tcpSocket.port":      "http",
			"spec.containers.0.lifecycle.preStop.httpGet.port":     "admin",
			"spec.containers.0.lifecycle.postStart.tcpSocket.port": json.Number("9000"),
		},
	}, {
		name: "deployment template and rolling update", apiVersion: "apps/v1", kind: "Deployment",
		body: `{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"}},
			"template":{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":1}}}]}}}}`,
		want: map[string]any{
			"spec.strategy.rollingUpdate.maxSurge":                 json.Number("1"),
			"spec.strategy.rollingUpdate.maxUnavailable":           "25%",
			"spec.template.spec.containers.0.resources.limits.cpu": "1",
		},
	}, {
		name: "daemon set rolling update", apiVersion: "apps/v1", kind: "DaemonSet",
		body: `{"spec":{"updateStrategy":{"rollingUpdate":{"maxUnavailable":"10%","maxSurge":0}}}}`,
		want: map[string]any{
			"spec.updateStrategy.rollingUpdate.maxUnavailable": "10%",
			"spec.updateStrategy.rollingUpdate.maxSurge":       json.Number("0"),
		},
	}, {
		name: "service target ports", apiVersion: "v1", kind: "Service",
		body: `{"spec":{"ports":[{"name":"a","port":80,"targetPort":8080},{"name":"b","port":81,"targetPort":"web"}]}}`,
		want: map[string]any{
			"spec.ports.0.targetPort": json.Number("8080"),
			"spec.ports.1.targetPort": "web",
		},
	}, {
		name: "resource quota", apiVersion: "v1", kind: "ResourceQuota",
		body: `{"spec":{"hard":{"pods":10,"requests.cpu":4,"limits.memory":"8Gi"}}}`,
		want: map[string]any{
			"spec.hard.pods":          "10",
			"spec.hard.requests.cpu":  "4",
			"spec.hard.limits.memory": "8Gi",
		},
	}, {
		name: "node capacity", apiVersion: "v1", kind: "Node",
		body: `{"status":{"capacity":{"cpu":4,"pods":110},"allocatable":{"cpu":3.5}}}`,
		want: map[string]any{
			"status.capacity.cpu":    "4",
			"status.capacity.pods":   "110",
			"status.allocatable.cpu": "3500m",
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := kindOf(t, sch, tc.apiVersion, tc.kind)
			body := `{"apiVersion":"` + tc.apiVersion + `","kind":"` + tc.kind + `","metadata":{"name":"x"},` + tc.body[1:]
			obj, err := FromJSON(k, []byte(body), DecodeOptions{Strict: true})
			require.NoError(t, err)
			m, err := ToMap(k, obj)
			require.NoError(t, err)
			for path, want := range tc.want {
				require.Equal(t, want, lookup(t, m, path), path)
			}
		})
	}
}

// TestDecodeStillRefusesNumbersWhereKubernetesDoes checks that only quantities and
// int-or-strings take numbers: a number in a string field, or a fraction in an int-or-string,
// is refused as Kubernetes refuses it.
func TestDecodeStillRefusesNumbersWhereKubernetesDoes(t *testing.T) {
	sch := scheme.Builtin()
	for name, body := range map[string]string{
		"number as a name":          `{"apiVersion":"v1","kind":"Pod","metadata":{"name":1}}`,
		"number as an image":        `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"c","image":1}]}}`,
		"number as a label":         `{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":1}}}`,
		"fraction as a target port": `{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"targetPort":1.5}]}}`,
		"object as a quantity":      `{"apiVersion":"v1","kind":"Pod","spec":{"overhead":{"cpu":{"n":1}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var tm struct{ APIVersion, Kind string }
			require.NoError(t, json.Unmarshal([]byte(body), &tm))
			_, err := FromJSON(kindOf(t, sch, tm.APIVersion, tm.Kind), []byte(body), DecodeOptions{})
			require.Error(t, err)
		})
	}
}

// TestEveryKubernetesQuantityAndIntOrStringDecodes walks Kubernetes' Go type of every kind Keelson
// serves alongside Keelson's message and requires every field Kubernetes types as a Quantity to be
// a string in Keelson (which the decoder fills from a number) and every int-or-string to be
// Keelson's IntOrString (which takes both forms), so no such field is left that refuses a number.
func TestEveryKubernetesQuantityAndIntOrStringDecodes(t *testing.T) {
	intOrStringType := reflect.TypeOf(intstr.IntOrString{})
	var quantities, intOrStrings int
	for _, k := range scheme.Builtin().Kinds() {
		typed, ok := NewTyped(k)
		if !ok {
			continue
		}
		seen := map[reflect.Type]bool{}
		var walk func(gt reflect.Type, md protoreflect.MessageDescriptor, path string)
		walk = func(gt reflect.Type, md protoreflect.MessageDescriptor, path string) {
			for gt.Kind() == reflect.Pointer {
				gt = gt.Elem()
			}
			if seen[gt] {
				return
			}
			seen[gt] = true
			for name, ft := range jsonFields(gt) {
				fd := md.Fields().ByJSONName(name)
				if fd == nil {
					continue // a field Keelson does not have
				}
				p := path + "." + name
				et := elemType(ft)
				switch {
				case et == k8sQuantityType:
					quantities++
					require.Equal(t, protoreflect.StringKind, elemDescriptor(fd).Kind(), "%s %s is a quantity", k.Kind, p)
				case et == intOrStringType:
					intOrStrings++
					require.Equal(t, protoreflect.MessageKind, elemDescriptor(fd).Kind(), "%s %s is an int-or-string", k.Kind, p)
					require.Equal(t, protoreflect.FullName(intOrStringName), elemDescriptor(fd).Message().FullName(), "%s %s", k.Kind, p)
				case elemDescriptor(fd).Kind() == protoreflect.MessageKind:
					if elemDescriptor(fd).Message().FullName() == intOrStringName {
						t.Errorf("%s %s is an IntOrString in Keelson but %s in Kubernetes", k.Kind, p, et)
					}
					if et.Kind() == reflect.Struct {
						walk(et, elemDescriptor(fd).Message(), p)
					}
				}
			}
		}
		walk(reflect.TypeOf(typed), k.Descriptor(), k.Kind)
	}
	require.Greater(t, quantities, 10, "the walk found the quantities")
	require.Greater(t, intOrStrings, 5, "the walk found the int-or-strings")
}

// elemType is t without pointers, and the element type of a slice or map other than []byte.
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if (t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8) || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// elemDescriptor is fd, or the value of fd when it is a map.
func elemDescriptor(fd protoreflect.FieldDescriptor) protoreflect.FieldDescriptor {
	if fd.IsMap() {
		return fd.MapValue()
	}
	return fd
}

// lookup returns the value at path in m: keys joined by dots, list indexes as numbers. A map key
// holding dots or slashes (a resource name such as example.com/gpu) is matched whole at the end.
func lookup(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var cur any = m
	rest := path
	for rest != "" {
		switch x := cur.(type) {
		case map[string]any:
			if v, ok := x[rest]; ok {
				return v
			}
			key, tail, _ := strings.Cut(rest, ".")
			v, ok := x[key]
			require.True(t, ok, "no %q in %v at %s", key, x, path)
			cur, rest = v, tail
		case []any:
			key, tail, _ := strings.Cut(rest, ".")
			i, err := strconv.Atoi(key)
			require.NoError(t, err, path)
			require.Less(t, i, len(x), path)
			cur, rest = x[i], tail
		default:
			t.Fatalf("%s: %v is not a map or list", path, cur)
		}
	}
	return cur
}
