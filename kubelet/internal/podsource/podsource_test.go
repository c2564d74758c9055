package podsource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

const podYAML = `apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
`

func names(pods []*corev1.Pod) []string {
	out := []string{}
	for _, p := range pods {
		out = append(out, p.GetMetadata().GetName())
	}
	return out
}

func TestDecodeManifests(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		want     []string
		wantErrs []string
	}{
		{name: "yaml pod", data: fmt.Sprintf(podYAML, "a"), want: []string{"a"}},
		{name: "json pod", data: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"i"}]}}`, want: []string{"j"}},
		{name: "multi document", data: "---\n" + fmt.Sprintf(podYAML, "a") + "---\n# comment only\n---\n" + fmt.Sprintf(podYAML, "b"), want: []string{"a", "b"}},
		{name: "pod list", data: `{"apiVersion":"v1","kind":"PodList","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i"}]}}]}`, want: []string{"x"}},
		{name: "list with a bad item", data: `{"apiVersion":"v1","kind":"List","items":[
			{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"c","image":"i"}]}},
			{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{"containerz":[]}}]}`,
			want: []string{"x"}, wantErrs: []string{`items[1]: strict decoding error: unknown field "spec.containerz"`}},
		{name: "bad document among good", data: fmt.Sprintf(podYAML, "a") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: z}\nspec: {restartPolicy: [1]}\n",
			want: []string{"a"}, wantErrs: []string{"document 2:"}},
		{name: "not a pod", data: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", want: []string{}, wantErrs: []string{"kind: Service is not a Pod"}},
		{name: "no name", data: "apiVersion: v1\nkind: Pod\nspec: {containers: [{name: c, image: i}]}\n", want: []string{}, wantErrs: []string{"metadata.name: Required value"}},
		{name: "not yaml", data: "{{{", want: []string{}, wantErrs: []string{"not YAML or JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, errs := DecodeManifests(scheme.Builtin(), []byte(tt.data))
			require.Equal(t, tt.want, names(pods))
			require.Len(t, errs, len(tt.wantErrs), "%v", errs)
			for i, want := range tt.wantErrs {
				require.ErrorContains(t, errs[i], want)
			}
		})
	}
}

func TestMakeStatic(t *testing.T) {
	decode := func(data string) *corev1.Pod {
		pods, errs := DecodeManifests(scheme.Builtin(), []byte(data))
		require.Empty(t, errs)
		return pods[0]
	}
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	yamlPod := MakeStatic(decode(fmt.Sprintf(podYAML, "web")), SourceFile, "n1", seen)
	require.Equal(t, "web-n1", yamlPod.Metadata.Name)
	require.Equal(t, "default", yamlPod.Metadata.Namespace)
	require.Equal(t, "n1", yamlPod.Spec.NodeName)
	require.Equal(t, yamlPod.Metadata.Uid, yamlPod.Metadata.Annotations[AnnotationHash])
	require.Equal(t, SourceFile, yamlPod.Metadata.Annotations[AnnotationSource])
	require.Equal(t, "2026-01-02T03:04:05Z", yamlPod.Metadata.Annotations[AnnotationSeen])
	require.True(t, IsStatic(yamlPod))

	jsonPod := MakeStatic(decode(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox","command":["sleep","3600"]}]}}`), SourceHTTP, "n1", seen.Add(time.Hour))
	require.Equal(t, yamlPod.Metadata.Uid, jsonPod.Metadata.Uid, "the same pod in YAML or JSON, read at any time, has one UID")
	other := MakeStatic(decode(fmt.Sprintf(podYAML, "web")), SourceFile, "n2", seen)
	require.NotEqual(t, yamlPod.Metadata.Uid, other.Metadata.Uid, "the node name is part of the UID")
	edited := MakeStatic(decode(fmt.Sprintf(podYAML, "web")+"  restartPolicy: Never\n"), SourceFile, "n1", seen)
	require.NotEqual(t, yamlPod.Metadata.Uid, edited.Metadata.Uid)
}

type recordingSink struct {
	mu   sync.Mutex
	sets [][]*corev1.Pod
}

func (s *recordingSink) SetPods(pods []*corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets = append(s.sets, pods)
}

func (s *recordingSink) last() ([]*corev1.Pod, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sets) == 0 {
		return nil, 0
	}
	return s.sets[len(s.sets)-1], len(s.sets)
}

func pod(ns, name string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}}
}

func TestMerger(t *testing.T) {
	sink := &recordingSink{}
	changes := 0
	m := NewMerger(sink, func() { changes++ }, zaptest.NewLogger(t))
	static := pod("kube-system", "etcd-n1", map[string]string{AnnotationSource: SourceFile, AnnotationHash: "h"})
	m.Set(KeyFile, []*corev1.Pod{static})
	m.Set(KeyAPI, []*corev1.Pod{
		pod("default", "web", map[string]string{AnnotationSource: SourceAPI}),
		pod("kube-system", "etcd-n1", map[string]string{AnnotationMirror: "h"}), // its mirror
	})
	got, n := sink.last()
	require.Equal(t, []string{"web", "etcd-n1"}, names(got))
	require.Equal(t, 2, n)
	require.Equal(t, 2, changes)
	require.Equal(t, []string{"etcd-n1"}, names(m.StaticPods()))

	m.Set(KeyAPI, []*corev1.Pod{pod("default", "web", map[string]string{AnnotationSource: SourceAPI})})
	_, n = sink.last()
	require.Equal(t, 2, n, "dropping the mirror changes nothing")

	m.Set(KeyPost, []*corev1.Pod{pod("default", "web", map[string]string{AnnotationSource: SourceHTTP})})
	got, _ = sink.last()
	require.Equal(t, SourceAPI, got[0].Metadata.Annotations[AnnotationSource], "a duplicate name keeps the first source's pod")

	m.Set(KeyFile, nil)
	got, _ = sink.last()
	require.Equal(t, []string{"web"}, names(got))
}

type badManifests struct {
	mu   sync.Mutex
	errs []string
}

func (b *badManifests) BadManifest(origin string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, origin+": "+err.Error())
}

func (b *badManifests) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

func TestFileSourceFollowsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600))
	}
	write("a.yaml", fmt.Sprintf(podYAML, "a"))
	write(".hidden.yaml", fmt.Sprintf(podYAML, "hidden"))
	sink, bad := &recordingSink{}, &badManifests{}
	m := NewMerger(sink, nil, zaptest.NewLogger(t))
	clk := clock.NewFake(time.Now())
	src := NewFileSource(dir, time.Hour, "n1", scheme.Builtin(), m, bad, clk, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	eventually := func(want []string, what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			got, _ := sink.last()
			return fmt.Sprint(names(got)) == fmt.Sprint(want)
		}, 10*time.Second, 5*time.Millisecond, what)
	}
	eventually([]string{"a-n1"}, "the first scan")
	first, _ := sink.last()
	uid := first[0].Metadata.Uid

	write("b.json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"b"},"spec":{"containers":[{"name":"c","image":"i"}]}}`)
	eventually([]string{"a-n1", "b-n1"}, "a new file, through fsnotify")

	write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containerz: []}\n")
	require.Eventually(t, func() bool { return len(bad.all()) == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Contains(t, bad.all()[0], filepath.Join(dir, "bad.yaml"))
	require.Contains(t, bad.all()[0], `unknown field "spec.containerz"`)
	eventually([]string{"a-n1", "b-n1"}, "the bad file leaves the others")

	write("a.yaml", fmt.Sprintf(podYAML, "a")+"  restartPolicy: Never\n")
	require.Eventually(t, func() bool {
		got, _ := sink.last()
		return len(got) == 2 && got[0].Metadata.Uid != uid
	}, 10*time.Second, 5*time.Millisecond, "an edited manifest is a new pod")

	require.NoError(t, os.Remove(filepath.Join(dir, "b.json")))
	eventually([]string{"a-n1"}, "a removed manifest")

	// The periodic rescan runs too, and reports a bad file only once.
	clk.Step(time.Hour)
	clk.Step(time.Hour)
	eventually([]string{"a-n1"}, "after rescans")
	require.Len(t, bad.all(), 1)
}

func TestPosted(t *testing.T) {
	sink := &recordingSink{}
	m := NewMerger(sink, nil, zaptest.NewLogger(t))
	p := NewPosted("n1", scheme.Builtin(), m, clock.NewFake(time.Now()))
	pods, err := p.Post([]byte(fmt.Sprintf(podYAML, "x")))
	require.NoError(t, err)
	require.Equal(t, []string{"x-n1"}, names(pods))
	_, err = p.Post([]byte(fmt.Sprintf(podYAML, "y") + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: z}\nspec: {containerz: []}\n"))
	require.ErrorContains(t, err, `document 2: strict decoding error: unknown field "spec.containerz"`)
	got, _ := sink.last()
	require.Equal(t, []string{"x-n1"}, names(got), "a refused manifest adds nothing")
	require.True(t, p.Remove("default", "x-n1"))
	require.False(t, p.Remove("default", "x-n1"))
	got, _ = sink.last()
	require.Empty(t, got)
}

// The API stamper copies a pod once per version the informer hands out: unchanged pods keep their
// stamped copy (the same pointer), a changed one gets a new copy, and gone ones are forgotten.
func TestAPIStamperReusesUnchangedPods(t *testing.T) {
	pod := func(name, rv string) *corev1.Pod {
		return &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name,
			ResourceVersion: rv, Annotations: map[string]string{"a": "b"}}}
	}
	a, b := pod("a", "1"), pod("b", "1")
	var s APIStamper
	first := s.Stamp([]*corev1.Pod{a, b})
	require.Len(t, first, 2)
	for i, p := range first {
		require.Equal(t, SourceAPI, p.GetMetadata().GetAnnotations()[AnnotationSource])
		require.Equal(t, "b", p.GetMetadata().GetAnnotations()["a"])
		require.NotSame(t, []*corev1.Pod{a, b}[i], p, "the cached pod itself is never changed")
	}
	require.NotContains(t, a.GetMetadata().GetAnnotations(), AnnotationSource)

	b2 := pod("b", "2")
	second := s.Stamp([]*corev1.Pod{a, b2})
	require.Same(t, first[0], second[0], "an unchanged pod keeps its stamped copy")
	require.NotSame(t, first[1], second[1], "a changed pod is stamped again")
	require.Equal(t, "2", second[1].GetMetadata().GetResourceVersion())

	third := s.Stamp([]*corev1.Pod{b2})
	require.Same(t, second[1], third[0])
	again := s.Stamp([]*corev1.Pod{a, b2})
	require.NotSame(t, first[0], again[0], "a pod that left and came back is stamped again")
	require.Equal(t, "a", again[0].GetMetadata().GetName())
}
