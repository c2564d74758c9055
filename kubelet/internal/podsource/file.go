package podsource

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// DefaultCheckFrequency is how often the manifest directory and URL are read again, as
// Kubernetes' --file-check-frequency and --http-check-frequency default to.
const DefaultCheckFrequency = 20 * time.Second

// FileSource reads static pods from a manifest directory (or a single manifest file): every
// Interval and whenever fsnotify reports a change in it. Files whose names start with "." are
// ignored, as are subdirectories.
type FileSource struct {
	path     string
	interval time.Duration
	scheme   *scheme.Scheme
	out      Setter
	report   Reporter
	clock    clock.Clock
	lg       *zap.Logger
	stamper  *stamper
	// reported remembers the last error reported per file and content, so a bad file is reported
	// once, not on every scan.
	reported map[string][32]byte
}

// NewFileSource returns a source of the manifests at path for node nodeName that sets its pods
// on out under KeyFile.
func NewFileSource(path string, interval time.Duration, nodeName string, sch *scheme.Scheme, out Setter, report Reporter, clk clock.Clock, lg *zap.Logger) *FileSource {
	if interval <= 0 {
		interval = DefaultCheckFrequency
	}
	return &FileSource{
		path: path, interval: interval, scheme: sch, out: out, report: report, clock: clk, lg: lg,
		stamper: newStamper(SourceFile, nodeName, clk.Now), reported: map[string][32]byte{},
	}
}

// Run scans at once, then on every change and every interval until ctx ends. A directory that
// does not exist yet is an empty source until it appears. It returns nil when ctx ends.
func (s *FileSource) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch manifest path %s: %w", s.path, err)
	}
	defer func() { _ = w.Close() }() // closing a watcher we stop using cannot fail usefully
	watching := false
	tick := s.clock.NewTicker(s.interval)
	defer tick.Stop()
	for {
		if !watching {
			// Watch again each scan until the path exists; fsnotify drops a watch whose path is removed.
			watching = w.Add(s.path) == nil
		}
		s.scan()
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op&fsnotify.Remove != 0 && filepath.Clean(ev.Name) == filepath.Clean(s.path) {
				watching = false
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.lg.Warn("manifest watch", zap.Error(err))
		}
	}
}

// scan reads every manifest and sets the pods of the good ones.
func (s *FileSource) scan() {
	files, err := s.files()
	if err != nil {
		s.lg.Warn("read manifest path", zap.String("path", s.path), zap.Error(err))
		return // keep the pods we have: a transient read error must not stop them
	}
	var pods []*corev1.Pod
	seen := map[string]bool{}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.lg.Warn("read manifest", zap.String("file", name), zap.Error(err))
			}
			continue
		}
		seen[name] = true
		decoded, errs := DecodeManifests(s.scheme, data)
		s.reportOnce(name, data, errs)
		pods = append(pods, s.stamper.stamp(decoded)...)
	}
	for name := range s.reported {
		if !seen[name] {
			delete(s.reported, name)
		}
	}
	s.stamper.forgetExcept(pods)
	s.out.Set(KeyFile, pods)
}

func (s *FileSource) reportOnce(name string, data []byte, errs []error) {
	if len(errs) == 0 {
		delete(s.reported, name)
		return
	}
	sum := sha256.Sum256(data)
	if last, ok := s.reported[name]; ok && last == sum {
		return
	}
	s.reported[name] = sum
	for _, err := range errs {
		s.report.BadManifest(name, err)
	}
}

// files lists the manifests: the path itself if it is a file, else the directory's regular files.
func (s *FileSource) files() ([]string, error) {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{s.path}, nil
	}
	entries, err := os.ReadDir(s.path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		out = append(out, filepath.Join(s.path, e.Name()))
	}
	sort.Strings(out)
	return out, nil
}
