package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// pollInterval is how often a follower looks for new output once it has read everything.
const pollInterval = 50 * time.Millisecond

// errLimit ends a read once limitBytes have been served.
var errLimit = errors.New("limitBytes reached")

// Read serves the log at path (its rotated files first, then the current file) to w as opts
// asks: only entries at or after sinceTime/sinceSeconds, only the last tailLines lines, each line
// prefixed with its timestamp if asked, stopping after limitBytes. Partial entries are joined
// back into their lines. With Follow it then keeps sending new output, moving to the new file
// when the log rotates, until ctx ends or running reports false (the container exited) and
// everything written has been sent. running may be nil, meaning the writer is gone. Malformed
// lines are skipped. Read returns nil when it has served what was asked, and ctx's error if ctx
// ended first.
func Read(ctx context.Context, path string, opts *kubeletapi.LogOptions, w io.Writer, running func() bool) error {
	if opts == nil {
		opts = &kubeletapi.LogOptions{}
	}
	if running == nil {
		running = func() bool { return false }
	}
	out := &sink{w: w, timestamps: opts.Timestamps, lineStart: true}
	if opts.LimitBytes != nil {
		out.limit = *opts.LimitBytes
	}
	switch {
	case opts.SinceTime != nil:
		out.since = *opts.SinceTime
	case opts.SinceSeconds != nil:
		out.since = time.Now().Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	}
	if opts.TailLines != nil {
		out.tail = &tailRing{n: int(*opts.TailLines)}
	}
	err := read(ctx, path, opts.Follow, running, out)
	if errors.Is(err, errLimit) {
		return nil
	}
	return err
}

// read feeds every entry of the log to out, then follows it if asked.
func read(ctx context.Context, path string, follow bool, running func() bool, out *sink) error {
	rotated, err := RotatedFiles(path)
	if err != nil {
		return err
	}
	for _, p := range rotated {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // pruned since listed
		}
		if err != nil {
			return fmt.Errorf("read log %s: %w", p, err)
		}
		lr := &lineReader{f: f}
		err = lr.drain(out)
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	f, err := os.Open(path)
	// A log not created yet, or between a rotation and the next write, is not an error when
	// following or when rotated files exist.
	missingOK := errors.Is(err, os.ErrNotExist) && (follow || len(rotated) > 0)
	if err != nil && !missingOK {
		return fmt.Errorf("read log %s: %w", path, err)
	}
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	lr := &lineReader{f: f}
	if err := lr.drain(out); err != nil {
		return err
	}
	if err := out.flushTail(); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		// Ask before reading: output written before the writer ended is then read below.
		alive := running()
		n, err := lr.drainCount(out)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if next, rotatedAway := reopened(path, f); rotatedAway {
			// The file was renamed aside: what remains in it was just drained; go on with the new one.
			if err := drainRotatedAfter(path, f, out); err != nil {
				_ = next.Close()
				return err
			}
			if f != nil {
				_ = f.Close()
			}
			f, lr = next, &lineReader{f: next}
			continue
		} else if next != nil {
			_ = next.Close()
		}
		if !alive {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// drainRotatedAfter feeds out the rotated files made after cur was rotated (the writer may have
// rotated several times between two polls). If cur is no longer among the rotated files (pruned,
// or never rotated) nothing is fed.
func drainRotatedAfter(path string, cur *os.File, out *sink) error {
	if cur == nil {
		return nil
	}
	st, err := cur.Stat()
	if err != nil {
		return nil
	}
	rotated, err := RotatedFiles(path)
	if err != nil {
		return err
	}
	found := false
	for _, p := range rotated {
		if !found {
			if other, err := os.Stat(p); err == nil && os.SameFile(st, other) {
				found = true
			}
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue // pruned meanwhile
		}
		err = (&lineReader{f: f}).drain(out)
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// reopened opens the file now at path and reports whether it differs from cur (the log was
// rotated, or created after the reader started). The caller closes next.
func reopened(path string, cur *os.File) (next *os.File, changed bool) {
	nf, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	if cur == nil {
		return nf, true
	}
	a, err1 := cur.Stat()
	b, err2 := nf.Stat()
	if err1 != nil || err2 != nil || os.SameFile(a, b) {
		return nf, false
	}
	return nf, true
}

// lineReader reads whole lines from a file that may be growing: an incomplete last line is held
// back until its newline arrives.
type lineReader struct {
	f       *os.File
	pending []byte
	buf     [32 * 1024]byte
}

// drain feeds every complete line now in the file to out.
func (r *lineReader) drain(out *sink) error {
	_, err := r.drainCount(out)
	return err
}

// drainCount is drain, also counting the bytes read.
func (r *lineReader) drainCount(out *sink) (int, error) {
	if r.f == nil {
		return 0, nil
	}
	total := 0
	for {
		n, err := r.f.Read(r.buf[:])
		total += n
		r.pending = append(r.pending, r.buf[:n]...)
		for {
			i := bytes.IndexByte(r.pending, '\n')
			if i < 0 {
				break
			}
			if e, perr := ParseEntry(r.pending[:i]); perr == nil {
				if werr := out.entry(e); werr != nil {
					return total, werr
				}
			}
			r.pending = r.pending[i+1:]
		}
		if len(r.pending) == 0 {
			r.pending = nil // let the backing array go
		}
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("read log %s: %w", r.f.Name(), err)
		}
	}
}

// sink turns entries into the client's output: since filter, tail, timestamps, limit.
type sink struct {
	w          io.Writer
	timestamps bool
	since      time.Time
	limit      int64 // 0: unlimited
	written    int64
	tail       *tailRing // nil once the tail was sent, or when no tail was asked
	lineStart  bool
	buf        []byte
}

// entry handles one entry read from the log.
func (s *sink) entry(e Entry) error {
	if !s.since.IsZero() && e.Time.Before(s.since) {
		return nil
	}
	if s.tail != nil {
		s.tail.add(e)
		return nil
	}
	return s.emit(e)
}

// flushTail sends the lines the tail kept, and sends later entries directly.
func (s *sink) flushTail() error {
	t := s.tail
	if t == nil {
		return nil
	}
	s.tail = nil
	for _, line := range t.lines {
		for _, e := range line {
			if err := s.emit(e); err != nil {
				return err
			}
		}
	}
	for _, e := range t.open {
		if err := s.emit(e); err != nil {
			return err
		}
	}
	return nil
}

// emit writes one entry, prefixing the timestamp at the start of a line.
func (s *sink) emit(e Entry) error {
	s.buf = s.buf[:0]
	if s.timestamps && s.lineStart {
		s.buf = e.Time.UTC().AppendFormat(s.buf, time.RFC3339Nano)
		s.buf = append(s.buf, ' ')
	}
	s.buf = append(s.buf, e.Content...)
	if !e.Partial {
		s.buf = append(s.buf, '\n')
	}
	s.lineStart = !e.Partial
	b := s.buf
	limited := false
	if s.limit > 0 && s.written+int64(len(b)) >= s.limit {
		b = b[:s.limit-s.written]
		limited = true
	}
	n, err := s.w.Write(b)
	s.written += int64(n)
	if err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	if limited {
		return errLimit
	}
	return nil
}

// tailRing keeps the last n complete lines (each its partial entries and the full one) plus the
// entries of a line not yet completed.
type tailRing struct {
	n     int
	lines [][]Entry
	open  []Entry
}

func (t *tailRing) add(e Entry) {
	e.Content = bytes.Clone(e.Content)
	t.open = append(t.open, e)
	if e.Partial {
		return
	}
	if t.n == 0 {
		t.open = nil
		return
	}
	if len(t.lines) == t.n {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.n-1]
	}
	t.lines = append(t.lines, t.open)
	t.open = nil
}
