package log

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestNewRejectsUnknownValues(t *testing.T) {
	tests := []struct {
		name, level, format, wantErr string
	}{
		{name: "unknown level", level: "verbose", format: "json", wantErr: `unknown log level "verbose"`},
		{name: "fatal is not offered", level: "fatal", format: "json", wantErr: `unknown log level "fatal"`},
		{name: "empty level", level: "", format: "console", wantErr: `unknown log level ""`},
		{name: "unknown format", level: "info", format: "xml", wantErr: `unknown log format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lg, err := New(tt.level, tt.format)
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, lg)
		})
	}
}

func TestLevelFilters(t *testing.T) {
	tests := []struct {
		level   string
		written []string
		dropped []string
	}{
		{level: "debug", written: []string{"d-msg", "i-msg", "w-msg", "e-msg"}},
		{level: "info", written: []string{"i-msg", "w-msg", "e-msg"}, dropped: []string{"d-msg"}},
		{level: "warn", written: []string{"w-msg", "e-msg"}, dropped: []string{"d-msg", "i-msg"}},
		{level: "error", written: []string{"e-msg"}, dropped: []string{"d-msg", "i-msg", "w-msg"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			lg, err := newLogger(tt.level, "console", &buf)
			require.NoError(t, err)
			lg.Debug("d-msg")
			lg.Info("i-msg")
			lg.Warn("w-msg")
			lg.Error("e-msg")
			require.NoError(t, lg.Sync())
			for _, m := range tt.written {
				require.Contains(t, buf.String(), m)
			}
			for _, m := range tt.dropped {
				require.NotContains(t, buf.String(), m)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		format string
		check  func(t *testing.T, line string)
	}{
		{format: "json", check: func(t *testing.T, line string) {
			t.Helper()
			var entry map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &entry))
			require.Equal(t, "hello", entry["msg"])
			require.Equal(t, "info", entry["level"])
			require.Equal(t, "scheduler", entry["component"])
		}},
		{format: "console", check: func(t *testing.T, line string) {
			t.Helper()
			require.False(t, json.Valid([]byte(line)), "console output must not be JSON: %s", line)
			require.Contains(t, line, "INFO")
			require.Contains(t, line, "hello")
			require.Contains(t, line, `"component": "scheduler"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			lg, err := newLogger("info", tt.format, &buf)
			require.NoError(t, err)
			lg.Info("hello", zap.String("component", "scheduler"))
			require.NoError(t, lg.Sync())
			tt.check(t, strings.TrimSpace(buf.String()))
		})
	}
}
