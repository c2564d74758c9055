package kubejson

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"

	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
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

// InvalidQuantities returns an Invalid field error for every value of obj, an object of kind k,
// that Kubernetes' Go type for k holds as a Quantity and that is no well-formed quantity. Kinds
// without a Kubernetes type have none. Every quantity is checked wherever it sits, so an object
// that passes cannot fail to encode as Kubernetes JSON for a quantity its kind's validation does
// not look at.
func InvalidQuantities(k *scheme.Kind, obj scheme.Object) (field.ErrorList, error) {
	typed, ok := NewTyped(k)
	if !ok {
		return nil, nil
	}
	m, err := MessageToMap(obj)
	if err != nil {
		return nil, err
	}
	var errs field.ErrorList
	badQuantities(m, reflect.TypeOf(typed), nil, &errs)
	return errs, nil
}

// badQuantities appends to errs an Invalid error for every string in v, a Kubernetes JSON value of
// Go type t at path p, that sits where t holds a Quantity and does not parse as one.
func badQuantities(v any, t reflect.Type, p *field.Path, errs *field.ErrorList) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == k8sQuantityType {
		if s, ok := v.(string); ok {
			if _, err := resource.Parse(s); err != nil {
				msg := err.Error()
				if cause := errors.Unwrap(err); cause != nil {
					msg = cause.Error()
				}
				*errs = append(*errs, field.Invalid(p, s, msg))
			}
		}
		return
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for _, key := range slices.Sorted(maps.Keys(x)) {
				badQuantities(x[key], t.Elem(), p.Key(key), errs)
			}
		case reflect.Struct:
			fields := jsonFields(t)
			for _, name := range slices.Sorted(maps.Keys(x)) {
				if ft, ok := fields[name]; ok {
					badQuantities(x[name], ft, p.Child(name), errs)
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				badQuantities(e, t.Elem(), p.Index(i), errs)
			}
		}
	}
}
