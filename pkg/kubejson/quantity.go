package kubejson

import (
	"encoding/json"
	"reflect"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	"github.com/keelson-dev/keelson/pkg/resource"
)

// k8sQuantityType is Kubernetes' Go type of a quantity. Keelson's messages keep quantities as
// strings, so where Kubernetes' type is a Quantity the decoder turns a JSON number into one.
var k8sQuantityType = reflect.TypeOf(k8sresource.Quantity{})

// numbersAsQuantities returns v, a Kubernetes JSON value of Go type t, with every JSON number
// written where Kubernetes expects a quantity turned into the quantity's canonical string:
// `cpu: 1` is "1", `cpu: 0.5` is "500m" and `memory: 1024` is "1024", as Kubernetes' own decoder
// reads them. Maps and lists are rewritten in place. Values of any other type are left for the
// message decoder to judge, so a number where Kubernetes wants a string is still refused.
func numbersAsQuantities(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == k8sQuantityType {
		if n, ok := v.(json.Number); ok {
			return quantityFromNumber(n)
		}
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				x[k] = numbersAsQuantities(e, t.Elem())
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for k, e := range x {
				if ft, ok := fields[k]; ok {
					x[k] = numbersAsQuantities(e, ft)
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				x[i] = numbersAsQuantities(e, t.Elem())
			}
		}
	}
	return v
}

// quantityFromNumber returns the canonical string of the quantity n. A number that is no valid
// quantity keeps its text, so validation names the field that holds it.
func quantityFromNumber(n json.Number) string {
	q, err := resource.Parse(n.String())
	if err != nil {
		return n.String()
	}
	return q.String()
}
