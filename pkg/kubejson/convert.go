package kubejson

import (
	"bytes"
	"encoding/json"
	"errors"
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
	intOrStringName    = "keelson.meta.v1.IntOrString"
	timestampName      = "google.protobuf.Timestamp"
	managedEntry       = "keelson.meta.v1.ManagedFieldsEntry"
	controllerRevision = "keelson.apps.v1.ControllerRevision"
	// extraValueName is a CSR's extra attribute values, a bare JSON list in Kubernetes.
	extraValueName = "keelson.certificates.v1.ExtraValue"
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
		if isInlineJSON(md, fd) {
			// Kubernetes' FieldsV1 and RawExtension are inline JSON; Keelson keeps their bytes.
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
		case extraValueName:
			if m, ok := v.(map[string]any); ok {
				if items, ok := m["items"]; ok {
					return items
				}
				return []any{}
			}
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

// DecodeOptions say how FromJSON treats fields Keelson does not know and keys a JSON object repeats.
type DecodeOptions struct {
	// Strict fails on unknown and duplicate fields (fieldValidation=Strict); otherwise unknown fields
	// are dropped and, of a duplicate, the last value wins.
	Strict bool
	// Warnings, when set, receives a message for every unknown field that was dropped and every
	// duplicate field (`unknown field "spec.foo"`, `duplicate field "metadata.name"`), as Kubernetes
	// words them; duplicates are looked for only when Strict or Warnings is set.
	Warnings *[]string
	// SkipDuplicates does not look for duplicate fields: the body comes from an encoder, which
	// never repeats a key.
	SkipDuplicates bool
}

// checksFields reports whether the options ask for unknown and duplicate fields to be reported.
func (o DecodeOptions) checksFields() bool { return o.Strict || o.Warnings != nil }

// FromJSON decodes a Kubernetes JSON object of kind k into a new message. apiVersion and kind, when
// present, must name k. The body must hold that one object and nothing after it. Errors are
// BadRequest Status errors that name the problem.
func FromJSON(k *scheme.Kind, body []byte, opts DecodeOptions) (scheme.Object, error) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, apierrors.NewBadRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf: %v", err)
	}
	if err := afterValue(body, d.InputOffset()); err != nil {
		return nil, apierrors.NewBadRequest("the object provided is unrecognized (must be of type %s): %v", k.Kind, err)
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
	var dups []string
	if opts.checksFields() && !opts.SkipDuplicates {
		dups = DuplicateFields(body)
	}
	obj := k.New()
	if err := mapToMessage(m, obj, opts, dups); err != nil {
		var te *typeError
		if errors.As(err, &te) {
			return nil, apierrors.NewBadRequest("%s in version %q cannot be handled as a %s: %v", k.Kind, k.Version, k.Kind, te)
		}
		return nil, err
	}
	return obj, nil
}

// afterValue fails when body holds anything but white space after the JSON value that ends at
// offset: trailing bytes or a second document, which Kubernetes' decoder refuses, with the error
// encoding/json gives for them.
func afterValue(body []byte, offset int64) error {
	if len(bytes.TrimSpace(body[offset:])) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return fmt.Errorf("unexpected data after the top-level value")
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

// MapToMessage decodes the Kubernetes JSON value m into msg. Duplicate keys are not looked for: m
// has none.
func MapToMessage(m map[string]any, msg protoreflect.ProtoMessage, opts DecodeOptions) error {
	err := mapToMessage(m, msg, opts, nil)
	var te *typeError
	if errors.As(err, &te) {
		return apierrors.NewBadRequest("%s cannot be handled: %v", msg.ProtoReflect().Descriptor().Name(), te)
	}
	return err
}

// mapToMessage decodes m into msg; dups are the duplicate fields of the body m came from. A value
// of the wrong JSON type fails with a *typeError.
func mapToMessage(m map[string]any, msg protoreflect.ProtoMessage, opts DecodeOptions, dups []string) error {
	st := decodeState{}
	inMessage(msg.ProtoReflect().Descriptor(), m, "", &st)
	if st.typeErr != nil {
		return st.typeErr
	}
	if opts.checksFields() && len(st.unknown)+len(dups) > 0 {
		msgs := make([]string, 0, len(st.unknown)+len(dups))
		for _, u := range st.unknown {
			msgs = append(msgs, fmt.Sprintf("unknown field %q", u))
		}
		for _, d := range dups {
			msgs = append(msgs, fmt.Sprintf("duplicate field %q", d))
		}
		if opts.Strict {
			return apierrors.NewBadRequest("strict decoding error: %s", strings.Join(msgs, ", "))
		}
		*opts.Warnings = append(*opts.Warnings, msgs...)
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

// decodeState collects what inMessage finds wrong with a value: the paths of unknown fields, which
// it drops, and the first value of the wrong JSON type, which fails the decode.
type decodeState struct {
	unknown []string
	typeErr *typeError
}

// typeError is a JSON value of the wrong type for its field, worded as encoding/json words it for
// Kubernetes' Go types: `json: cannot unmarshal string into Go struct field
// ContainerPort.spec.containers.ports.containerPort of type int32`.
type typeError struct {
	// value is the JSON value's type ("string", "number 1.5"); parent the name of the message that
	// holds the field; path the field's JSON path without list indices; goType the field's Go type.
	value, parent, path, goType string
}

func (e *typeError) Error() string {
	return fmt.Sprintf("json: cannot unmarshal %s into Go struct field %s.%s of type %s", e.value, e.parent, e.path, e.goType)
}

// checkScalar records in st a value v of field fd, at path, whose JSON type its Go type refuses:
// protojson reads "80" as a number, which Kubernetes' decoder does not.
func checkScalar(fd protoreflect.FieldDescriptor, v any, path string, st *decodeState) {
	if v == nil || st.typeErr != nil {
		return
	}
	var goType string
	bits, unsigned := 64, false
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		goType, bits = "int32", 32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		goType = "int64"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		goType, bits, unsigned = "uint32", 32, true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		goType, unsigned = "uint64", true
	case protoreflect.BoolKind:
		if _, ok := v.(bool); !ok {
			st.typeErr = newTypeError(fd, v, path, "bool")
		}
		return
	case protoreflect.StringKind:
		if _, ok := v.(string); !ok {
			st.typeErr = newTypeError(fd, v, path, "string")
		}
		return
	default:
		return
	}
	n, ok := v.(json.Number)
	if f, isFloat := v.(float64); isFloat {
		// A value built in memory, or decoded without UseNumber, carries its numbers as float64.
		n, ok = json.Number(strconv.FormatFloat(f, 'f', -1, 64)), true
	}
	var err error
	switch {
	case !ok:
		err = errNotNumber
	case unsigned:
		_, err = strconv.ParseUint(n.String(), 10, bits)
	default:
		_, err = strconv.ParseInt(n.String(), 10, bits)
	}
	if err != nil {
		st.typeErr = newTypeError(fd, v, path, goType)
	}
}

// errNotNumber marks a non-number where an integer belongs.
var errNotNumber = errors.New("not a number")

func newTypeError(fd protoreflect.FieldDescriptor, v any, path, goType string) *typeError {
	value := "object"
	switch x := v.(type) {
	case string:
		value = "string"
	case bool:
		value = "bool"
	case json.Number:
		value = "number " + x.String()
	case float64:
		value = "number " + strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		value = "array"
	}
	return &typeError{value: value, parent: string(fd.ContainingMessage().Name()), path: withoutIndices(path), goType: goType}
}

// withoutIndices drops the list indices from path, as encoding/json's field paths have none.
func withoutIndices(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	depth := 0
	for _, r := range path {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// inMessage rewrites m, a Kubernetes JSON value of a message of type md at path, into protojson
// form, and drops the keys md does not know, recording their paths in unknown.
func inMessage(md protoreflect.MessageDescriptor, m map[string]any, path string, st *decodeState) {
	fields := md.Fields()
	for key := range m {
		if fields.ByJSONName(key) == nil {
			st.unknown = append(st.unknown, joinPath(path, key))
			delete(m, key)
		}
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		v, ok := m[fd.JSONName()]
		if !ok {
			continue
		}
		if isInlineJSON(md, fd) {
			if _, isString := v.(string); !isString && v != nil {
				if raw, err := json.Marshal(v); err == nil {
					m[fd.JSONName()] = raw // encoding/json writes []byte as base64, as protojson reads it
				}
			}
			continue
		}
		m[fd.JSONName()] = inField(fd, v, joinPath(path, fd.JSONName()), st)
	}
}

// isInlineJSON reports whether fd of md holds the bytes of a JSON value that Kubernetes writes
// inline: a managed fields entry's fieldsV1 and a controller revision's data.
func isInlineJSON(md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor) bool {
	switch md.FullName() {
	case managedEntry:
		return fd.Name() == "fields_v1"
	case controllerRevision:
		return fd.Name() == "data"
	}
	return false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func inField(fd protoreflect.FieldDescriptor, v any, path string, st *decodeState) any {
	switch {
	case fd.IsMap():
		if mv, ok := v.(map[string]any); ok {
			for k, e := range mv {
				mv[k] = inValue(fd.MapValue(), nullElement(fd.MapValue(), e), path+"."+k, st)
			}
		}
	case fd.IsList():
		if lv, ok := v.([]any); ok {
			for i, e := range lv {
				lv[i] = inValue(fd, nullElement(fd, e), fmt.Sprintf("%s[%d]", path, i), st)
			}
		}
	default:
		return inValue(fd, v, path, st)
	}
	return v
}

func inValue(fd protoreflect.FieldDescriptor, v any, path string, st *decodeState) any {
	if fd.Kind() != protoreflect.MessageKind {
		checkScalar(fd, v, path, st)
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
	case extraValueName:
		if lv, ok := v.([]any); ok {
			m := map[string]any{"items": lv}
			inMessage(fd.Message(), m, path, st)
			return m
		}
	case timestampName:
	default:
		if mv, ok := v.(map[string]any); ok {
			inMessage(fd.Message(), mv, path, st)
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
