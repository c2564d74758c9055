// Package log builds the zap logger every Keelson daemon uses. Daemons get theirs through
// run.Main; everything else receives a *zap.Logger through its constructor and never builds one.
package log

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger writing to standard error at the given level ("debug", "info", "warn" or
// "error") in the given format ("json" or "console"). The caller should Sync it before exiting.
func New(level, format string) (*zap.Logger, error) {
	return newLogger(level, format, zapcore.Lock(os.Stderr))
}

// Validate reports whether level and format are accepted by New, naming the bad value if not.
func Validate(level, format string) error {
	if _, err := parseLevel(level); err != nil {
		return err
	}
	switch format {
	case "json", "console":
		return nil
	default:
		return fmt.Errorf("unknown log format %q (want json or console)", format)
	}
}

func parseLevel(level string) (zapcore.Level, error) {
	switch level {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info":
		return zapcore.InfoLevel, nil
	case "warn":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	default:
		return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", level)
	}
}

// newLogger is New with the destination injected, so tests can read what was written.
func newLogger(level, format string, out io.Writer) (*zap.Logger, error) {
	if err := Validate(level, format); err != nil {
		return nil, err
	}
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	var cfg zapcore.EncoderConfig
	if format == "json" {
		cfg = zap.NewProductionEncoderConfig()
	} else {
		cfg = zap.NewDevelopmentEncoderConfig()
	}
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewConsoleEncoder(cfg)
	if format == "json" {
		enc = zapcore.NewJSONEncoder(cfg)
	}
	core := zapcore.NewCore(enc, zapcore.AddSync(out), lvl)
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel)), nil
}
