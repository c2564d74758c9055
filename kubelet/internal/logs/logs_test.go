package logs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// tick is a clock that advances one second per reading, so entries have distinct, known times.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

var epoch = time.Date(2020, 12, 7, 3, 0, 0, 0, time.UTC)

func TestEntryRoundTrip(t *testing.T) {
	tests := []Entry{
		{Time: epoch.Add(123456789), Stream: Stdout, Content: []byte("hello world")},
		{Time: epoch, Stream: Stderr, Partial: true, Content: []byte("part  with  spaces ")},
		{Time: epoch, Stream: Stdout, Content: []byte{}},
	}
	for _, e := range tests {
		t.Run(string(e.Content), func(t *testing.T) {
			line := AppendEntry(nil, e)
			require.True(t, bytes.HasSuffix(line, []byte("\n")))
			got, err := ParseEntry(line)
			require.NoError(t, err)
			require.True(t, e.Time.Equal(got.Time))
			require.Equal(t, e.Stream, got.Stream)
			require.Equal(t, e.Partial, got.Partial)
			require.Equal(t, string(e.Content), string(got.Content))
		})
	}
	require.Equal(t, "2020-12-07T03:00:00.5Z stdout F x\n",
		string(AppendEntry(nil, Entry{Time: epoch.Add(500 * time.Millisecond), Stream: Stdout, Content: []byte("x")})))
	for _, bad := range []string{"", "notatime stdout F x", "2020-12-07T03:00:00Z stdin F x", "2020-12-07T03:00:00Z stdout X x"} {
		_, err := ParseEntry([]byte(bad))
		require.ErrorIs(t, err, ErrMalformed, bad)
	}
}

func TestCopySplitsLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	clk := &tick{t: epoch}
	w, err := NewWriter(path, WriterOptions{Now: clk.now})
	require.NoError(t, err)
	long := strings.Repeat("a", MaxLineSize+10)
	require.NoError(t, w.Copy(Stdout, strings.NewReader("one\n"+long+"\nlast-no-newline")))
	require.NoError(t, w.Close())

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, lines, 4)
	require.Contains(t, lines[1], " stdout P ")
	require.Contains(t, lines[2], " stdout F "+strings.Repeat("a", 10))
	require.True(t, strings.HasSuffix(lines[3], " stdout F last-no-newline"))

	var out bytes.Buffer
	require.NoError(t, Read(context.Background(), path, nil, &out, nil))
	require.Equal(t, "one\n"+long+"\nlast-no-newline\n", out.String(), "partials are joined back")
}

// writeLines writes n lines "line-<i>" through a writer that rotates every few lines.
func writeLines(t *testing.T, path string, n int, maxFiles int) {
	t.Helper()
	clk := &tick{t: epoch}
	w, err := NewWriter(path, WriterOptions{MaxSize: 3 * 40, MaxFiles: maxFiles, Now: clk.now})
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, w.WriteEntry(Stdout, false, []byte("line-"+fmtInt(i))))
	}
	require.NoError(t, w.Close())
}

func fmtInt(i int) string {
	if i < 10 {
		return "0" + string(rune('0'+i))
	}
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}

func TestRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c", "0.log")
	writeLines(t, path, 20, 3)
	rotated, err := RotatedFiles(path)
	require.NoError(t, err)
	require.Len(t, rotated, 2, "MaxFiles counts the current file")
	for _, p := range append(rotated, path) {
		st, err := os.Stat(p)
		require.NoError(t, err)
		require.LessOrEqual(t, st.Size(), int64(3*40))
	}
	var out bytes.Buffer
	require.NoError(t, Read(context.Background(), path, nil, &out, nil))
	require.True(t, strings.HasSuffix(out.String(), "line-20\n"))
	require.False(t, strings.Contains(out.String(), "line-01\n"), "the oldest files were pruned")
}

func TestReadOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	writeLines(t, path, 12, 10) // line-i is stamped epoch+i s
	rotated, err := RotatedFiles(path)
	require.NoError(t, err)
	require.NotEmpty(t, rotated)

	i64 := func(v int64) *int64 { return &v }
	since := epoch.Add(10 * time.Second)
	tests := []struct {
		name string
		opts kubeletapi.LogOptions
		want string
	}{
		{name: "all", want: "line-01\nline-02\nline-03\nline-04\nline-05\nline-06\nline-07\nline-08\nline-09\nline-10\nline-11\nline-12\n"},
		{name: "tail across rotated files", opts: kubeletapi.LogOptions{TailLines: i64(5)}, want: "line-08\nline-09\nline-10\nline-11\nline-12\n"},
		{name: "tail 0", opts: kubeletapi.LogOptions{TailLines: i64(0)}, want: ""},
		{name: "tail more than there is", opts: kubeletapi.LogOptions{TailLines: i64(100)}, want: "line-01\nline-02\nline-03\nline-04\nline-05\nline-06\nline-07\nline-08\nline-09\nline-10\nline-11\nline-12\n"},
		{name: "since time", opts: kubeletapi.LogOptions{SinceTime: &since}, want: "line-10\nline-11\nline-12\n"},
		{name: "since and tail", opts: kubeletapi.LogOptions{SinceTime: &since, TailLines: i64(2)}, want: "line-11\nline-12\n"},
		{name: "limit bytes", opts: kubeletapi.LogOptions{LimitBytes: i64(11)}, want: "line-01\nlin"},
		{name: "timestamps", opts: kubeletapi.LogOptions{TailLines: i64(1), Timestamps: true}, want: "2020-12-07T03:00:12Z line-12\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, Read(context.Background(), path, &tt.opts, &out, nil))
			require.Equal(t, tt.want, out.String())
		})
	}

	t.Run("since seconds", func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, Read(context.Background(), path, &kubeletapi.LogOptions{SinceSeconds: i64(1)}, &out, nil))
		require.Empty(t, out.String(), "every line is older than a second")
	})
	t.Run("missing file", func(t *testing.T) {
		require.ErrorIs(t, Read(context.Background(), filepath.Join(t.TempDir(), "0.log"), nil, &bytes.Buffer{}, nil), os.ErrNotExist)
	})
}

// syncBuffer is a bytes.Buffer safe to read while Read writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFollow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := NewWriter(path, WriterOptions{MaxSize: 200, MaxFiles: 20})
	require.NoError(t, err)
	require.NoError(t, w.WriteEntry(Stdout, false, []byte("before")))

	var alive atomic.Bool
	alive.Store(true)
	out := &syncBuffer{}
	tail := int64(1)
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		done <- Read(ctx, path, &kubeletapi.LogOptions{Follow: true, TailLines: &tail}, out, alive.Load)
	}()

	waitFor := func(want string) {
		t.Helper()
		require.Eventually(t, func() bool { return strings.Contains(out.String(), want) }, 10*time.Second, 5*time.Millisecond, "want %q in %q", want, out.String())
	}
	waitFor("before\n")
	require.NoError(t, w.WriteEntry(Stderr, false, []byte("later")))
	waitFor("later\n")
	// Enough lines to rotate the file several times: the follower moves to each new file.
	var want strings.Builder
	for i := 0; i < 20; i++ {
		line := "rotating-" + fmtInt(i)
		want.WriteString(line + "\n")
		require.NoError(t, w.WriteEntry(Stdout, false, []byte(line)))
	}
	waitFor("rotating-19\n")
	require.NoError(t, w.WriteEntry(Stdout, false, []byte("last words")))
	require.NoError(t, w.Close())
	alive.Store(false)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("follow did not end when the writer stopped")
	}
	require.Equal(t, "before\nlater\n"+want.String()+"last words\n", out.String())
}

func TestFollowEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Read(ctx, path, &kubeletapi.LogOptions{Follow: true}, &syncBuffer{}, func() bool { return true })
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
