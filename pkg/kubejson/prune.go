package kubejson

import (
	"reflect"
	"strings"
)

// pruneZeroStructs deletes from m, a Kubernetes JSON object of Go type t, every empty object ({})
// whose Kubernetes field is a struct value rather than a pointer. Kubernetes' types write such
// fields as {} even when unset ("resources": {}), and reading them back gives the zero value; in
// Keelson's messages an empty sub-message is set, so keeping them would make an unchanged object
// look changed. Empty objects of pointer fields ("emptyDir": {}) are kept: there {} means set.
func pruneZeroStructs(m map[string]any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	fields := jsonFields(t)
	for key, v := range m {
		ft, ok := fields[key]
		if !ok {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 && ft.Kind() == reflect.Struct {
				delete(m, key)
				continue
			}
			pruneIn(x, ft)
			if len(x) == 0 && ft.Kind() == reflect.Struct {
				delete(m, key)
			}
		case []any:
			pruneIn(x, ft)
		}
	}
}

// pruneIn prunes a nested value of Go type t: a struct, a pointer to one, or a slice or map of them.
func pruneIn(v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() == reflect.Map {
			for _, e := range x {
				pruneIn(e, t.Elem())
			}
			return
		}
		pruneZeroStructs(x, t)
	case []any:
		if t.Kind() != reflect.Slice {
			return
		}
		for _, e := range x {
			pruneIn(e, t.Elem())
		}
	}
}

// jsonFields maps the JSON names of t's fields, inlined embedded structs included, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
