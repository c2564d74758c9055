package logs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Defaults of the kubelet's --container-log-max-size and --container-log-max-files.
const (
	DefaultMaxSize  = 10 << 20
	DefaultMaxFiles = 5
)

// rotatedTimeFormat names a rotated file: <path>.<time>. It sorts in time order as a string.
const rotatedTimeFormat = "20060102-150405.000000000"

// WriterOptions tune a Writer.
type WriterOptions struct {
	// MaxSize is the size in bytes at which the file is rotated (0: DefaultMaxSize; negative:
	// never rotate).
	MaxSize int64
	// MaxFiles is how many files, the current one included, are kept (0: DefaultMaxFiles; at least 2).
	MaxFiles int
	// Now stamps entries (nil: time.Now).
	Now func() time.Time
}

// Writer appends CRI log entries to a file, rotating it by size: when the next entry would make
// the file larger than MaxSize, the file is renamed to <path>.<time>, a new one is started, and
// rotated files beyond MaxFiles-1 are deleted, oldest first. Entries are never split across files.
// A Writer is safe for concurrent use (stdout and stderr are copied at once).
type Writer struct {
	path string
	opts WriterOptions

	mu   sync.Mutex
	f    *os.File
	size int64
	buf  []byte
}

// NewWriter opens (creating it and its directory if needed) the log file at path for appending.
func NewWriter(path string, opts WriterOptions) (*Writer, error) {
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.MaxFiles == 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	opts.MaxFiles = max(opts.MaxFiles, 2)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Writer{path: path, opts: opts}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open log %s: %w", path, err)
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

// open opens the file at w.path for appending; w.mu is held or w is not yet shared.
func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open log %s: %w", w.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("open log %s: %w", w.path, err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// WriteEntry appends one entry stamped now, rotating first if it would overflow the file.
// content must not hold a newline.
func (w *Writer) WriteEntry(s Stream, partial bool, content []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write log %s: %w", w.path, os.ErrClosed)
	}
	now := w.opts.Now()
	w.buf = AppendEntry(w.buf[:0], Entry{Time: now, Stream: s, Partial: partial, Content: content})
	if w.opts.MaxSize > 0 && w.size > 0 && w.size+int64(len(w.buf)) > w.opts.MaxSize {
		if err := w.rotate(now); err != nil {
			return err
		}
	}
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write log %s: %w", w.path, err)
	}
	return nil
}

// rotate renames the current file aside, prunes old ones and starts a new file; w.mu is held.
func (w *Writer) rotate(now time.Time) error {
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	w.f = nil
	rotated := w.path + "." + now.UTC().Format(rotatedTimeFormat)
	if err := os.Rename(w.path, rotated); err != nil {
		return fmt.Errorf("rotate log %s: %w", w.path, err)
	}
	old, err := RotatedFiles(w.path)
	if err != nil {
		return err
	}
	for len(old) > w.opts.MaxFiles-1 {
		if err := os.Remove(old[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("prune log %s: %w", old[0], err)
		}
		old = old[1:]
	}
	return w.open()
}

// Reopen closes the file and opens the one now at the path, for when it was renamed from outside.
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			return fmt.Errorf("reopen log %s: %w", w.path, err)
		}
		w.f = nil
	}
	return w.open()
}

// Close closes the file. Writes after Close fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("close log %s: %w", w.path, err)
	}
	return nil
}

// Copy reads r until EOF and writes each line as an entry of stream s: lines longer than
// MaxLineSize become partial entries, and a last line without a newline is written as full. It
// returns nil at EOF.
func (w *Writer) Copy(s Stream, r io.Reader) error {
	br := bufio.NewReaderSize(r, MaxLineSize)
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			if werr := w.WriteEntry(s, false, line[:len(line)-1]); werr != nil {
				return werr
			}
		case errors.Is(err, bufio.ErrBufferFull):
			if werr := w.WriteEntry(s, true, line); werr != nil {
				return werr
			}
		case errors.Is(err, io.EOF):
			if len(line) > 0 {
				return w.WriteEntry(s, false, line)
			}
			return nil
		default:
			return fmt.Errorf("copy %s to log %s: %w", s, w.path, err)
		}
	}
}

// RotatedFiles lists the rotated files of the log at path, oldest first.
func RotatedFiles(path string) ([]string, error) {
	files, err := filepath.Glob(globEscape(path) + ".*")
	if err != nil {
		return nil, fmt.Errorf("list rotated logs of %s: %w", path, err)
	}
	sort.Strings(files)
	return files, nil
}

// globEscape quotes the glob metacharacters of a literal path.
func globEscape(p string) string {
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[', '\\':
			out = append(out, '\\')
		}
		out = append(out, p[i])
	}
	return string(out)
}
