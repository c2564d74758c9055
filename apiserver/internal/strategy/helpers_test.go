package strategy

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

// fields returns the sorted, de-duplicated field paths of errs.
func fields(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fieldCase mutates a copy of a valid, defaulted object and names exactly the fields a check must
// report; no fields means the change is valid.
type fieldCase[T scheme.Object] struct {
	name   string
	mutate func(T)
	want   []string
}

// runValidation checks that base() is valid and that Validate reports each case's fields.
func runValidation[T scheme.Object](t *testing.T, s Strategy, base func() T, cases []fieldCase[T]) {
	t.Helper()
	if errs := s.Validate(base()); len(errs) > 0 {
		t.Fatalf("the valid object is invalid: %v", describe(errs))
	}
	runCases(t, "Validate", func(obj, _ T) field.ErrorList { return s.Validate(obj) }, base, cases)
}

// runUpdate checks that ValidateUpdate reports each case's fields for the change from base().
func runUpdate[T scheme.Object](t *testing.T, s Strategy, base func() T, cases []fieldCase[T]) {
	t.Helper()
	runCases(t, "ValidateUpdate", func(obj, old T) field.ErrorList { return s.ValidateUpdate(obj, old) }, base, cases)
}

// runStatus checks that ValidateStatus reports each case's fields for the change from base().
func runStatus[T scheme.Object](t *testing.T, s Strategy, base func() T, cases []fieldCase[T]) {
	t.Helper()
	runCases(t, "ValidateStatus", func(obj, old T) field.ErrorList { return s.ValidateStatus(obj, old) }, base, cases)
}

func runCases[T scheme.Object](t *testing.T, what string, check func(obj, old T) field.ErrorList, base func() T, cases []fieldCase[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := base()
			obj := proto.Clone(old).(T)
			c.mutate(obj)
			errs := check(obj, old)
			if got, want := fields(errs), slices.Sorted(slices.Values(c.want)); !slices.Equal(got, want) {
				t.Errorf("%s reported %v, want %v\n%v", what, got, want, describe(errs))
			}
		})
	}
}

func describe(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Field+": "+e.ErrorBody())
	}
	return out
}

// defaulted returns obj after s.Default.
func defaulted[T scheme.Object](s Strategy, obj T) T {
	s.Default(obj)
	return obj
}

// checkDefault compares an object after Default with the expected one.
func checkDefault(t *testing.T, s Strategy, in, want scheme.Object) {
	t.Helper()
	s.Default(in)
	if !proto.Equal(in, want) {
		t.Errorf("Default:\n got %v\nwant %v", in, want)
	}
}
