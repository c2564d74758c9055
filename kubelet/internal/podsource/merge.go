package podsource

import (
	"slices"
	"sort"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// PodSink receives the full merged desired set from all sources on every change; pods not in the
// set are to be stopped. SetPods is called from one goroutine at a time and must not call back
// into the Merger.
type PodSink interface {
	SetPods(pods []*corev1.Pod)
}

// Setter takes the whole current set of one source; the Merger is one.
type Setter interface {
	Set(source string, pods []*corev1.Pod)
}

// Source keys of the Merger: one per source, whatever AnnotationSource they stamp.
const (
	KeyAPI  = "api"
	KeyFile = "file"
	KeyURL  = "url"
	KeyPost = "post"
)

// Merger merges the sources' sets into one desired set, sorted by namespace/name. Two pods of the
// same namespace/name from different sources are a conflict: the one from the source whose key
// sorts first wins and the other is logged and left out. API pods that are mirror pods are never
// part of the set: a mirror only shows a static pod, so deleting it must not stop the pod. Its
// methods are safe for concurrent use.
type Merger struct {
	sink     PodSink
	onChange func()
	lg       *zap.Logger

	mu      sync.Mutex
	sources map[string][]*corev1.Pod
	merged  []*corev1.Pod
}

// NewMerger returns a Merger that hands every changed set to sink, then calls onChange (if not
// nil), both under the Merger's lock so that they see the sets in order.
func NewMerger(sink PodSink, onChange func(), lg *zap.Logger) *Merger {
	return &Merger{sink: sink, onChange: onChange, lg: lg, sources: map[string][]*corev1.Pod{}}
}

// Set replaces source's pods with pods and pushes the merged set if it changed.
func (m *Merger) Set(source string, pods []*corev1.Pod) {
	if source == KeyAPI {
		pods = slices.DeleteFunc(slices.Clone(pods), IsMirror)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources[source] = pods
	merged := m.mergeLocked()
	if slices.EqualFunc(merged, m.merged, func(a, b *corev1.Pod) bool { return a == b || proto.Equal(a, b) }) {
		return
	}
	m.merged = merged
	if m.sink != nil {
		m.sink.SetPods(slices.Clone(merged))
	}
	if m.onChange != nil {
		m.onChange()
	}
}

func (m *Merger) mergeLocked() []*corev1.Pod {
	keys := make([]string, 0, len(m.sources))
	for k := range m.sources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	var out []*corev1.Pod
	for _, k := range keys {
		for _, p := range m.sources[k] {
			name := FullName(p)
			if first, dup := seen[name]; dup {
				m.lg.Warn("pod from two sources; keeping the first", zap.String("pod", name),
					zap.String("kept", first), zap.String("dropped", k))
				continue
			}
			seen[name] = k
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return FullName(out[i]) < FullName(out[j]) })
	return out
}

// Pods returns the merged desired set. The caller must not modify the pods.
func (m *Merger) Pods() []*corev1.Pod {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.merged)
}

// StaticPods returns the static pods of the merged set.
func (m *Merger) StaticPods() []*corev1.Pod {
	return slices.DeleteFunc(m.Pods(), func(p *corev1.Pod) bool { return !IsStatic(p) })
}
