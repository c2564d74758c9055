package kubejson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Message names the converter treats specially: their protojson form differs from Kubernetes'.
const (
	intOrStringName = "keelson.meta.v1.IntOrString"
	timestampName   = "google.protobuf.Timestamp"
	managedEntry    = "keelson.meta.v1.ManagedFieldsEntry"
)

// k8sTimeLayout is how Kubernetes' metav1.Time encodes: RFC 3339 at whole seconds, in UTC;
// microTimeLayout is metav1.MicroTime's, at microseconds.
const (
	k8sTimeLayout   = "2006-01-02T15:04:05Z"
	microTimeLayout = "2006-01-02T15:04:05.000000Z07:00"
)

// microTimeFields are the timestamps Kubernetes types as MicroTime rather than Time.
var microTimeFields = map[protoreflect.FullName]bool{
	"keelson.coordination.v1.LeaseSpec.acquire_time": true,
	"keelson.coordination.v1.LeaseSpec.renew_time":   true,
	"keelson.core.v1.Event.event_time":               true,
	"keelson.core.v1.EventSeries.last_observed_time": true,
}

// ToMap returns obj as the generic JSON value Kubernetes' own types encode it to, with apiVersion
// and kind set from k (see ToJSON).
func ToMap(k *scheme.Kind, obj scheme.Object) (map[string]any, error) {
	b, err := ToJSON(k, obj, true)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, fmt.Errorf("encode %s as Kubernetes JSON: %w", k.Kind, err)
	}
	return out, nil
}

// ToJSON encodes obj as Kubernetes JSON, with apiVersion and kind when typeMeta is set (list items
// go without). The converted value passes through Kubernetes' Go type for k, so fields Kubernetes
// always writes (zero counts in a status, "creationTimestamp": null) are written as it writes them.
func ToJSON(k *scheme.Kind, obj scheme.Object, typeMeta bool) ([]byte, error) {
	m, err := MessageToMap(obj)
	if err != nil {
		return nil, err
	}
	if typeMeta {
		m["apiVersion"] = k.APIVersion()
		m["kind"] = k.Kind
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s as Kubernetes JSON: %w", k.Kind, err)
	}
	typed, ok := NewTyped(k)
	if !ok {
		return b, nil
	}
	if err := json.Unmarshal(b, typed); err != nil {
		return nil, fmt.Errorf("encode %s as Kubernetes JSON: %w", k.Kind, err)
	}
	if b, err = json.Marshal(typed); err != nil {
		return nil, fmt.Errorf("encode %s as Kubernetes JSON: %w", k.Kind, err)
	}
	return b, nil
}

// MessageToMap encodes msg with protojson and rewrites the fields whose Kubernetes JSON differs.
func MessageToMap(msg protoreflect.ProtoMessage) (map[string]any, error) {
	b, err := protojson.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", msg.ProtoReflect().Descriptor().FullName(), err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode protojson of %s: %w", msg.ProtoReflect().Descriptor().FullName(), err)
	}
	outMessage(msg.ProtoReflect().Descriptor(), m)
	return m, nil
}

// outMessage rewrites m, the protojson form of a message of type md, in place.
func outMessage(md protoreflect.MessageDescriptor, m map[string]any) {
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		v, ok := m[fd.JSONName()]
		if !ok {
			continue
		}
		if md.FullName() == managedEntry && fd.Name() == "fields_v1" {
			// Kubernetes' FieldsV1 is inline JSON; Keelson keeps its bytes.
			if s, ok := v.(string); ok {
				m[fd.JSONName()] = rawFromBase64(s)
			}
			continue
		}
		m[fd.JSONName()] = outField(fd, v)
	}
}

func outField(fd protoreflect.FieldDescriptor, v any) any {
	switch {
	case fd.IsMap():
		mv, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, e := range mv {
			mv[k] = outValue(fd.MapValue(), e)
		}
		return mv
	case fd.IsList():
		lv, ok := v.([]any)
		if !ok {
			return v
		}
		for i, e := range lv {
			lv[i] = outValue(fd, e)
		}
		return lv
	default:
		return outValue(fd, v)
	}
}

// outValue rewrites one value of fd's element type.
func outValue(fd protoreflect.FieldDescriptor, v any) any {
	switch fd.Kind() {
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if s, ok := v.(string); ok {
			return json.Number(s)
		}
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case intOrStringName:
			return intOrStringOut(v)
		case timestampName:
			if s, ok := v.(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					if microTimeFields[fd.FullName()] {
						return t.UTC().Format(microTimeLayout)
					}
					return t.UTC().Format(k8sTimeLayout)
				}
			}
		default:
			if mv, ok := v.(map[string]any); ok {
				outMessage(fd.Message(), mv)
			}
		}
	}
	return v
}

// intOrStringOut turns {type, intVal, strVal} into a bare number or string.
func intOrStringOut(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if t, _ := m["type"].(json.Number); t == "1" {
		s, _ := m["strVal"].(string)
		return s
	}
	if n, ok := m["intVal"].(json.Number); ok {
		return n
	}
	return json.Number("0")
}

func rawFromBase64(s string) any {
	var raw []byte
	if err := json.Unmarshal([]byte(strconv.Quote(s)), &raw); err != nil || !json.Valid(raw) {
		return s
	}
	return json.RawMessage(raw)
}

// DecodeOptions say how FromJSON treats fields Keelson does not know.
type DecodeOptions struct {
	// Strict fails on unknown fields (fieldValidation=Strict); otherwise they are dropped.
	Strict bool
	// Unknown, when set, receives the path of every unknown field that was dropped.
	Unknown *[]string
}

// FromJSON decodes a Kubernetes JSON object of kind k into a new message. apiVersion and kind, when
// present, must name k. Errors are BadRequest Status errors that name the problem.
func FromJSON(k *scheme.Kind, body []byte, opts DecodeOptions) (scheme.Object, error) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, apierrors.NewBadRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf: %v", err)
	}
	if m == nil {
		return nil, apierrors.NewBadRequest("the body of the request is empty or null, expected a %s object", k.Kind)
	}
	if av, ok := m["apiVersion"]; ok && av != k.APIVersion() {
		return nil, apierrors.NewBadRequest("the API version in the data (%v) does not match the expected API version (%s)", av, k.APIVersion())
	}
	if kd, ok := m["kind"]; ok && kd != k.Kind {
		return nil, apierrors.NewBadRequest("the kind in the data (%v) does not match the expected kind (%s)", kd, k.Kind)
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	if typed, ok := NewTyped(k); ok {
		pruneZeroStructs(m, reflect.TypeOf(typed))
		numbersAsQuantities(m, reflect.TypeOf(typed))
	}
	obj := k.New()
	if err := MapToMessage(m, obj, opts); err != nil {
		return nil, err
	}
	return obj, nil
}

// FromValue decodes v, a Kubernetes object built in memory (a generic map or a Kubernetes Go
// object), into a new message of kind k.
func FromValue(k *scheme.Kind, v any) (scheme.Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return FromJSON(k, b, DecodeOptions{})
}

// MapToMessage decodes the Kubernetes JSON value m into msg.
func MapToMessage(m map[string]any, msg protoreflect.ProtoMessage, opts DecodeOptions) error {
	var unknown []string
	inMessage(msg.ProtoReflect().Descriptor(), m, "", &unknown)
	if len(unknown) > 0 {
		if opts.Strict {
			parts := make([]string, len(unknown))
			for i, u := range unknown {
				parts[i] = fmt.Sprintf("unknown field %q", u)
			}
			return apierrors.NewBadRequest("strict decoding error: %s", strings.Join(parts, ", "))
		}
		if opts.Unknown != nil {
			*opts.Unknown = append(*opts.Unknown, unknown...)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return apierrors.NewBadRequest("re-encode request body: %v", err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, msg); err != nil {
		return apierrors.NewBadRequest("decode %s: %v", msg.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// inMessage rewrites m, a Kubernetes JSON value of a message of type md at path, into protojson
// form, and drops the keys md does not know, recording their paths in unknown.
func inMessage(md protoreflect.MessageDescriptor, m map[string]any, path string, unknown *[]string) {
	fields := md.Fields()
	for key := range m {
		if fields.ByJSONName(key) == nil {
			*unknown = append(*unknown, joinPath(path, key))
			delete(m, key)
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		v, ok := m[fd.JSONName()]
		if !ok {
			continue
		}
		if md.FullName() == managedEntry && fd.Name() == "fields_v1" {
			if _, isString := v.(string); !isString && v != nil {
				if raw, err := json.Marshal(v); err == nil {
					m[fd.JSONName()] = raw // encoding/json writes []byte as base64, as protojson reads it
				}
			}
			continue
		}
		m[fd.JSONName()] = inField(fd, v, joinPath(path, fd.JSONName()), unknown)
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func inField(fd protoreflect.FieldDescriptor, v any, path string, unknown *[]string) any {
	switch {
	case fd.IsMap():
		if mv, ok := v.(map[string]any); ok {
			for k, e := range mv {
				mv[k] = inValue(fd.MapValue(), nullElement(fd.MapValue(), e), path+"."+k, unknown)
			}
		}
	case fd.IsList():
		if lv, ok := v.([]any); ok {
			for i, e := range lv {
				lv[i] = inValue(fd, nullElement(fd, e), fmt.Sprintf("%s[%d]", path, i), unknown)
			}
		}
	default:
		return inValue(fd, v, path, unknown)
	}
	return v
}

func inValue(fd protoreflect.FieldDescriptor, v any, path string, unknown *[]string) any {
	if fd.Kind() != protoreflect.MessageKind {
		return v
	}
	switch fd.Message().FullName() {
	case intOrStringName:
		switch x := v.(type) {
		case json.Number:
			return map[string]any{"type": 0, "intVal": x}
		case string:
			return map[string]any{"type": 1, "strVal": x}
		}
	case timestampName:
	default:
		if mv, ok := v.(map[string]any); ok {
			inMessage(fd.Message(), mv, path, unknown)
		}
	}
	return v
}

// nullElement returns the zero value of fd's element type for a null map value or list element,
// which Kubernetes' Go types decode as the zero value ("binaryData": {"k": null} is an empty
// value) and protojson refuses; any other value is returned as it is.
func nullElement(fd protoreflect.FieldDescriptor, v any) any {
	if v != nil {
		return v
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		return ""
	case protoreflect.BoolKind:
		return false
	case protoreflect.MessageKind:
		switch fd.Message().FullName() {
		case intOrStringName:
			return json.Number("0")
		case timestampName:
			return v
		}
		return map[string]any{}
	default:
		return json.Number("0")
	}
}
