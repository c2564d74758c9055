package field

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPathString(t *testing.T) {
	tests := []struct {
		name string
		path *Path
		want string
	}{
		{"root", NewPath("spec"), "spec"},
		{"children", NewPath("spec").Child("containers"), "spec.containers"},
		{"more names", NewPath("spec", "template", "spec"), "spec.template.spec"},
		{"child with more names", NewPath("spec").Child("template", "metadata"), "spec.template.metadata"},
		{"index", NewPath("spec").Child("containers").Index(0).Child("name"), "spec.containers[0].name"},
		{"key", NewPath("metadata", "labels").Key("app"), "metadata.labels[app]"},
		{"empty key", NewPath("data").Key(""), "data[]"},
		{"nested indexes", NewPath("a").Index(1).Index(2), "a[1][2]"},
		{"nil", nil, "<nil>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.path.String())
		})
	}
}

func TestPathSharesParents(t *testing.T) {
	containers := NewPath("spec").Child("containers")
	first, second := containers.Index(0), containers.Index(1)
	require.Equal(t, "spec.containers[0]", first.String())
	require.Equal(t, "spec.containers[1]", second.String())
	require.Equal(t, "spec.containers", containers.String())
	require.Equal(t, "spec", second.Root().String())
}

type point struct {
	X int `json:"x"`
}

func TestErrorMessages(t *testing.T) {
	name := NewPath("spec").Child("containers").Index(0).Child("name")
	tests := []struct {
		name     string
		err      *Error
		wantType ErrorType
		want     string
	}{
		{"required", Required(name, ""), ErrorTypeRequired, "spec.containers[0].name: Required value"},
		{"required with detail", Required(name, "a name is needed"), ErrorTypeRequired, "spec.containers[0].name: Required value: a name is needed"},
		{"invalid string", Invalid(NewPath("metadata", "name"), "A", "must be lower case"), ErrorTypeInvalid, `metadata.name: Invalid value: "A": must be lower case`},
		{"invalid number", Invalid(NewPath("spec", "replicas"), int32(-1), "must be greater than or equal to 0"), ErrorTypeInvalid, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"},
		{"invalid struct", Invalid(NewPath("p"), point{X: 1}, "bad"), ErrorTypeInvalid, `p: Invalid value: {"x":1}: bad`},
		{"not supported", NotSupported(NewPath("spec", "restartPolicy"), "Sometimes", []string{"Always", "OnFailure", "Never"}), ErrorTypeNotSupported, `spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
		{"not supported without list", NotSupported[string](NewPath("x"), "y", nil), ErrorTypeNotSupported, `x: Unsupported value: "y"`},
		{"duplicate", Duplicate(NewPath("spec", "ports").Index(1).Child("name"), "http"), ErrorTypeDuplicate, `spec.ports[1].name: Duplicate value: "http"`},
		{"not found", NotFound(NewPath("spec", "volumeName"), "data"), ErrorTypeNotFound, `spec.volumeName: Not found: "data"`},
		{"forbidden", Forbidden(NewPath("spec", "selector"), "field is immutable"), ErrorTypeForbidden, "spec.selector: Forbidden: field is immutable"},
		{"too long", TooLong(NewPath("metadata", "name"), "xxxx", 253), ErrorTypeTooLong, "metadata.name: Too long: may not be more than 253 bytes"},
		{"too long one byte", TooLong(NewPath("a"), "xx", 1), ErrorTypeTooLong, "a: Too long: may not be more than 1 byte"},
		{"too long no limit", TooLong(NewPath("a"), "xx", -1), ErrorTypeTooLong, "a: Too long: value is too long"},
		{"too many", TooMany(NewPath("spec", "containers"), 3, 2), ErrorTypeTooMany, "spec.containers: Too many: 3: must have at most 2 items"},
		{"too many uncounted", TooMany(NewPath("spec", "containers"), -1, 1), ErrorTypeTooMany, "spec.containers: Too many: must have at most 1 item"},
		{"internal", InternalError(NewPath("spec"), errors.New("boom")), ErrorTypeInternal, "spec: Internal error: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wantType, tc.err.Type)
			require.Equal(t, tc.want, tc.err.Error())
			require.Equal(t, tc.want, tc.err.String())
		})
	}
}

func TestUnknownErrorType(t *testing.T) {
	require.Equal(t, `<unknown error "Odd">`, ErrorType("Odd").String())
}

func TestErrorListAggregate(t *testing.T) {
	req := Required(NewPath("spec", "containers"), "")
	inv := Invalid(NewPath("metadata", "name"), "A", "bad")
	tests := []struct {
		name string
		list ErrorList
		want string
	}{
		{name: "empty is nil", list: nil},
		{name: "one", list: ErrorList{req}, want: "spec.containers: Required value"},
		{name: "several", list: ErrorList{req, inv}, want: `[spec.containers: Required value, metadata.name: Invalid value: "A": bad]`},
		{name: "duplicates printed once", list: ErrorList{req, req, inv}, want: `[spec.containers: Required value, metadata.name: Invalid value: "A": bad]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.list.ToAggregate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			var agg *AggregateError
			require.True(t, errors.As(err, &agg))
			require.Equal(t, tc.list, agg.Errs)
			var first *Error
			require.True(t, errors.As(fmt.Errorf("create pod: %w", err), &first))
			require.Same(t, tc.list[0], first)
		})
	}
}

func TestErrorListFilter(t *testing.T) {
	list := ErrorList{Required(NewPath("a"), ""), Invalid(NewPath("b"), 1, ""), Required(NewPath("c"), "")}
	got := list.Filter(func(e *Error) bool { return e.Type == ErrorTypeRequired })
	require.Len(t, got, 2)
	require.Equal(t, "a", got[0].Field)
	require.Equal(t, "c", got[1].Field)
}
