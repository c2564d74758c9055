// Package logs writes and reads container logs in the CRI log format, the one the kubelet and
// every CRI runtime share:
//
//	<RFC 3339 nano timestamp> <stdout|stderr> <F|P> <content>\n
//
// A line longer than MaxLineSize is written as P (partial) entries closed by an F (full) entry.
// Writer is what a container's monitor uses to record its output, rotating the file by size;
// Read serves a container's log to a client with Kubernetes' log options, following the file
// (across rotations) while the container runs.
package logs

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Stream names the output a log entry came from.
type Stream string

// The two streams of a container.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Tags of an entry: a full line, or a part of a longer one.
const (
	tagFull    = 'F'
	tagPartial = 'P'
)

// MaxLineSize is the longest content written in one entry; longer lines are split.
const MaxLineSize = 16 * 1024

// Entry is one line of a CRI log file.
type Entry struct {
	Time   time.Time
	Stream Stream
	// Partial is true for a P entry: Content continues in the next entry of the same stream.
	Partial bool
	// Content is the output without its trailing newline.
	Content []byte
}

// AppendEntry appends e in the CRI log format (newline included) to buf.
func AppendEntry(buf []byte, e Entry) []byte {
	buf = e.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, ' ')
	buf = append(buf, e.Stream...)
	buf = append(buf, ' ')
	if e.Partial {
		buf = append(buf, tagPartial)
	} else {
		buf = append(buf, tagFull)
	}
	buf = append(buf, ' ')
	buf = append(buf, e.Content...)
	return append(buf, '\n')
}

// ErrMalformed is returned (wrapped) by ParseEntry for a line not in the CRI log format.
var ErrMalformed = errors.New("malformed CRI log line")

// ParseEntry parses one line of a CRI log file (with or without its newline). Content aliases line.
func ParseEntry(line []byte) (Entry, error) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	var e Entry
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return e, fmt.Errorf("%w: no stream: %q", ErrMalformed, line)
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return e, fmt.Errorf("%w: timestamp: %w", ErrMalformed, err)
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return e, fmt.Errorf("%w: no tag: %q", ErrMalformed, line)
	}
	switch s := Stream(stream); s {
	case Stdout, Stderr:
		e.Stream = s
	default:
		return e, fmt.Errorf("%w: unknown stream %q", ErrMalformed, stream)
	}
	tag, content, _ := bytes.Cut(rest, []byte{' '})
	switch {
	case len(tag) == 1 && tag[0] == tagFull:
	case len(tag) == 1 && tag[0] == tagPartial:
		e.Partial = true
	default:
		return e, fmt.Errorf("%w: unknown tag %q", ErrMalformed, tag)
	}
	e.Time = t
	e.Content = content
	return e, nil
}
