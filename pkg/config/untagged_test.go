package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoadLeavesUntaggedFieldsAlone checks that a field without a mapstructure tag, such as a clock
// a test injects, is no configuration: it needs no flag and Load leaves it zero.
func TestLoadLeavesUntaggedFieldsAlone(t *testing.T) {
	type withUntagged struct {
		testConfig `mapstructure:",squash"`
		Injected   interface{ Now() int }
	}
	var out withUntagged
	require.NoError(t, Load("test", testFlags(), []string{"--port=1"}, &out))
	require.Equal(t, 1, out.Port)
	require.Nil(t, out.Injected)
}
