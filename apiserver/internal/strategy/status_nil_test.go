package strategy

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestValidateStatusTakesAnObjectWithoutStatus validates, for every kind, a status write to an
// object that has never had a status (a JSON patch "[]" to /status makes one): it reads as all
// zero, and no rule may dereference the missing status.
func TestValidateStatusTakesAnObjectWithoutStatus(t *testing.T) {
	set := NewSet()
	for _, k := range scheme.Builtin().Kinds() {
		s := set.ForKind(k)
		if s == nil {
			continue
		}
		t.Run(k.Kind, func(t *testing.T) {
			obj, old := k.New(), k.New()
			s.Default(obj)
			require.NotPanics(t, func() { _ = s.ValidateStatus(obj, old) })
		})
	}
}
