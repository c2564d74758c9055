package kubejson

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// TestFromJSONRefusesDataAfterTheObject checks that a body holds one object and nothing after it.
func TestFromJSONRefusesDataAfterTheObject(t *testing.T) {
	k := kindOf(t, scheme.Builtin(), "v1", "ConfigMap")
	const cm = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}`
	for name, tc := range map[string]struct {
		body, msg string
	}{
		"garbage":         {cm + ` x`, "invalid character 'x' after top-level value"},
		"second document": {cm + "\n" + cm, "invalid character '{' after top-level value"},
		"second null":     {cm + ` null`, "invalid character 'n' after top-level value"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromJSON(k, []byte(tc.body), DecodeOptions{})
			requireBadRequest(t, err, tc.msg)
		})
	}
	t.Run("trailing white space", func(t *testing.T) {
		_, err := FromJSON(k, []byte(cm+" \n\t"), DecodeOptions{})
		require.NoError(t, err)
	})
}

// TestDuplicateFields checks the paths the duplicate scan reports and that it reports nothing for a
// clean document, whatever its shape.
func TestDuplicateFields(t *testing.T) {
	for name, tc := range map[string]struct {
		doc  string
		want []string
	}{
		"none":         {`{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"{\"a\":1,\"a\":2}"}`, nil},
		"top":          {`{"a":1,"b":2,"a":3}`, []string{"a"}},
		"nested":       {`{"metadata":{"name":"x","labels":{"k":"1","k":"2"}}}`, []string{"metadata.labels.k"}},
		"in a list":    {`{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}`, []string{"spec.containers[1].name"}},
		"escaped":      {`{"a\u0062":1,"ab":2}`, []string{"ab"}},
		"three times":  {`{"a":1,"a":2,"a":3}`, []string{"a", "a"}},
		"root list":    {`[{"x":1,"x":2}]`, []string{"[0].x"}},
		"many keys":    {manyKeys(40, "k7"), []string{"k7"}},
		"scalars only": {`[1,true,null,"s",-2.5e3]`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, DuplicateFields([]byte(tc.doc)))
		})
	}
}

// manyKeys returns an object with n distinct keys, then dup once more.
func manyKeys(n int, dup string) string {
	s := "{"
	for i := range n {
		s += `"k` + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `":1,`
	}
	s = s[:len(s)-1]
	// k07 is not k7: add k7 twice.
	return s + `,"` + dup + `":1,"` + dup + `":2}`
}

// TestFromJSONDuplicateFieldsFollowFieldValidation checks that duplicates fail under Strict with
// Kubernetes' message, become warnings otherwise, and that the last value wins.
func TestFromJSONDuplicateFieldsFollowFieldValidation(t *testing.T) {
	k := kindOf(t, scheme.Builtin(), "v1", "ConfigMap")
	body := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},"data":{"k":"1"}}`)
	_, err := FromJSON(k, body, DecodeOptions{Strict: true})
	requireBadRequest(t, err, `strict decoding error: duplicate field "metadata.name"`)

	var warnings []string
	obj, err := FromJSON(k, body, DecodeOptions{Warnings: &warnings})
	require.NoError(t, err)
	require.Equal(t, []string{`duplicate field "metadata.name"`}, warnings)
	require.Equal(t, "b", obj.GetMetadata().GetName())

	obj, err = FromJSON(k, body, DecodeOptions{})
	require.NoError(t, err)
	require.Equal(t, "b", obj.GetMetadata().GetName())
}

// TestFromJSONRefusesValuesOfTheWrongJSONType checks that a quoted number, a number with a fraction
// or out of range, or a string where a boolean belongs fail as Kubernetes' decoder fails them.
func TestFromJSONRefusesValuesOfTheWrongJSONType(t *testing.T) {
	k := kindOf(t, scheme.Builtin(), "v1", "Pod")
	pod := func(container string) []byte {
		return []byte(`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i",` + container + `}]}}`)
	}
	const prefix = `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal `
	for name, tc := range map[string]struct {
		container, msg string
	}{
		"quoted int32":  {`"ports":[{"containerPort":"80"}]`, prefix + `string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`},
		"fraction":      {`"ports":[{"containerPort":80.5}]`, prefix + `number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`},
		"out of range":  {`"ports":[{"containerPort":4294967296}]`, prefix + `number 4294967296 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`},
		"quoted bool":   {`"stdin":"true"`, prefix + `string into Go struct field Container.spec.containers.stdin of type bool`},
		"number string": {`"image":5`, prefix + `number 5 into Go struct field Container.spec.containers.image of type string`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromJSON(k, pod(tc.container), DecodeOptions{})
			requireBadRequest(t, err, tc.msg)
		})
	}
	t.Run("quoted int64", func(t *testing.T) {
		body := []byte(`{"metadata":{"name":"p"},"spec":{"activeDeadlineSeconds":"5","containers":[{"name":"c","image":"i"}]}}`)
		_, err := FromJSON(k, body, DecodeOptions{})
		requireBadRequest(t, err, prefix+`string into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64`)
	})
	t.Run("numbers accepted", func(t *testing.T) {
		_, err := FromJSON(k, pod(`"ports":[{"containerPort":80}],"stdin":true`), DecodeOptions{})
		require.NoError(t, err)
	})
}

func requireBadRequest(t *testing.T, err error, msg string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, apierrors.IsBadRequest(err), "want BadRequest, got %v", err)
	require.Contains(t, err.Error(), msg)
}

// TestMapToMessageTakesNumbersBuiltInMemory decodes maps whose numbers are float64, as
// encoding/json makes them without UseNumber (an eviction's delete options, for one): whole
// numbers are integers, fractions are refused.
func TestMapToMessageTakesNumbersBuiltInMemory(t *testing.T) {
	ev := &policyv1.Eviction{}
	require.NoError(t, MapToMessage(map[string]any{"deleteOptions": map[string]any{"gracePeriodSeconds": float64(30)}}, ev, DecodeOptions{}))
	require.Equal(t, int64(30), ev.GetDeleteOptions().GetGracePeriodSeconds())

	err := MapToMessage(map[string]any{"deleteOptions": map[string]any{"gracePeriodSeconds": 1.5}}, &policyv1.Eviction{}, DecodeOptions{})
	requireBadRequest(t, err, "Eviction cannot be handled: json: cannot unmarshal number 1.5 into Go struct field DeleteOptions.deleteOptions.gracePeriodSeconds of type int64")
}
