package audit

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// Config says where the audit log goes.
type Config struct {
	// Path is the log file, or "-" for standard output.
	Path string
	// MaxSizeMB rotates the file once it reaches this many megabytes (0: never).
	MaxSizeMB int
	// MaxBackups is how many rotated files are kept (0: all).
	MaxBackups int
	// MaxAgeDays removes rotated files older than this many days (0: never).
	MaxAgeDays int
	// BufferSize is how many events may wait to be written (default 10000).
	BufferSize int
	// MaxWait is how long a request waits for room in a full buffer before its event is dropped
	// (default 100ms).
	MaxWait time.Duration
	// Clock stamps events (default the real clock).
	Clock clock.Clock
}

// Logger queues events and writes them as JSON lines. It is safe for concurrent use.
type Logger struct {
	cfg    Config
	out    io.WriteCloser
	events chan *Event
	// done is closed when Run returns: later events are dropped at once.
	done    chan struct{}
	dropped atomic.Int64
	lg      *zap.Logger
}

// New opens the log (a file is created 0600 and appended to). Nothing is written until Run.
func New(cfg Config, lg *zap.Logger) (*Logger, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("audit log: a path is required")
	}
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 10000
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 100 * time.Millisecond
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	var out io.WriteCloser
	if cfg.Path == "-" {
		out = nopCloser{os.Stdout}
	} else {
		// Created here so a path that cannot be written fails the start, not the first request.
		f, err := os.OpenFile(cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		_ = f.Close()
		out = &lumberjack.Logger{Filename: cfg.Path, MaxSize: cfg.MaxSizeMB, MaxBackups: cfg.MaxBackups, MaxAge: cfg.MaxAgeDays}
		if cfg.MaxSizeMB <= 0 {
			// lumberjack's 0 means 100 MB; never rotating is what 0 says here.
			out.(*lumberjack.Logger).MaxSize = 1 << 20
		}
	}
	return &Logger{cfg: cfg, out: out, events: make(chan *Event, cfg.BufferSize), done: make(chan struct{}), lg: lg}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Run writes queued events until ctx ends, then writes what is still queued and closes the log.
// A write error is logged and the event lost; it does not stop Run.
func (l *Logger) Run(ctx context.Context) error {
	defer close(l.done)
	w := bufio.NewWriterSize(l.out, 64*1024)
	defer func() {
		l.flush(w)
		if err := l.out.Close(); err != nil {
			l.lg.Error("audit log: close", zap.Error(err))
		}
	}()
	enc := json.NewEncoder(w)
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case e := <-l.events:
					l.write(enc, e)
				default:
					return nil
				}
			}
		case e := <-l.events:
			l.write(enc, e)
			// Flush once the queue is empty: a burst is one write.
			if len(l.events) == 0 {
				l.flush(w)
			}
		}
	}
}

func (l *Logger) write(enc *json.Encoder, e *Event) {
	if err := enc.Encode(e); err != nil {
		l.lg.Error("audit log: write event", zap.String("auditID", e.AuditID), zap.Error(err))
	}
}

func (l *Logger) flush(w *bufio.Writer) {
	if err := w.Flush(); err != nil {
		l.lg.Error("audit log: write", zap.String("path", l.cfg.Path), zap.Error(err))
		// bufio keeps failing after an error; start over so later events can get through.
		w.Reset(l.out)
	}
	if n := l.dropped.Swap(0); n > 0 {
		l.lg.Error("audit log: events dropped, the buffer was full", zap.Int64("count", n))
	}
}

// Dropped returns how many events were dropped since the last flush reported them.
func (l *Logger) Dropped() int64 { return l.dropped.Load() }

// emit queues e, waiting at most MaxWait for room.
func (l *Logger) emit(e *Event) {
	select {
	case l.events <- e:
		return
	case <-l.done:
		return
	default:
	}
	t := time.NewTimer(l.cfg.MaxWait)
	defer t.Stop()
	select {
	case l.events <- e:
	case <-l.done:
	case <-t.C:
		l.dropped.Add(1)
	}
}

// newEvent starts the event of a request received at received.
func (l *Logger) newEvent(ctx context.Context, received time.Time) *Event {
	e := &Event{
		Kind:                     "Event",
		APIVersion:               "audit.k8s.io/v1",
		Level:                    "Metadata",
		AuditID:                  newID(),
		RequestReceivedTimestamp: MicroTime(received),
	}
	if u, ok := user.FromContext(ctx); ok {
		e.User = userInfo(u)
	}
	return e
}

func userInfo(u *user.Info) UserInfo {
	return UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
}

// at returns a copy of e at stage, now.
func (l *Logger) at(e *Event, stage string, status *ResponseStatus) *Event {
	c := *e
	if c.User.Username == "" && e.rec != nil {
		if u := e.rec.User(); u != nil {
			c.User = userInfo(u)
		}
	}
	c.Stage, c.ResponseStatus, c.StageTimestamp = stage, status, MicroTime(l.cfg.Clock.Now())
	return &c
}

// newID returns a random UUID (version 4), as Kubernetes' audit IDs are.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
