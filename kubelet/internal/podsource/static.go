package podsource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Annotations on the pods the kubelet runs, as Kubernetes names them.
const (
	// AnnotationSource says where a pod came from: SourceFile, SourceHTTP or SourceAPI.
	AnnotationSource = "kubernetes.io/config.source"
	// AnnotationHash is a static pod's content hash (equal to its UID).
	AnnotationHash = "kubernetes.io/config.hash"
	// AnnotationSeen is when the kubelet first saw this version of a static pod.
	AnnotationSeen = "kubernetes.io/config.seen"
	// AnnotationMirror marks a mirror pod in the API server; its value is the static pod's hash.
	AnnotationMirror = "kubernetes.io/config.mirror"
)

// Values of AnnotationSource.
const (
	SourceFile = "file"
	SourceHTTP = "http"
	SourceAPI  = "api"
)

// IsStatic reports whether pod came from a manifest rather than from the API server.
func IsStatic(pod *corev1.Pod) bool {
	s := pod.GetMetadata().GetAnnotations()[AnnotationSource]
	return s != "" && s != SourceAPI
}

// IsMirror reports whether pod is the API server's mirror of a static pod.
func IsMirror(pod *corev1.Pod) bool {
	_, ok := pod.GetMetadata().GetAnnotations()[AnnotationMirror]
	return ok
}

// FullName returns namespace/name.
func FullName(pod *corev1.Pod) string {
	return pod.GetMetadata().GetNamespace() + "/" + pod.GetMetadata().GetName()
}

// DecodeManifests decodes data — YAML or JSON, one pod, a v1 List or PodList of pods, or several
// YAML documents — into pods. Each bad pod gives its own error, naming the document or list item
// and the decoder's message; the good ones are returned all the same.
func DecodeManifests(sch *scheme.Scheme, data []byte) ([]*corev1.Pod, []error) {
	var pods []*corev1.Pod
	var errs []error
	docs := splitDocuments(data)
	for i, doc := range docs {
		where := ""
		if len(docs) > 1 {
			where = fmt.Sprintf("document %d: ", i+1)
		}
		p, e := decodeDocument(sch, doc)
		pods = append(pods, p...)
		for _, err := range e {
			errs = append(errs, fmt.Errorf("%s%w", where, err))
		}
	}
	return pods, errs
}

// splitDocuments splits multi-document YAML on "---" lines and drops empty documents.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur []string
	flush := func() {
		doc := strings.Join(cur, "\n")
		if strings.TrimSpace(stripComments(doc)) != "" {
			docs = append(docs, []byte(doc))
		}
		cur = nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimRight(line, " \t\r") == "---" || strings.HasPrefix(line, "--- ") {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func decodeDocument(sch *scheme.Scheme, doc []byte) ([]*corev1.Pod, []error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, []error{fmt.Errorf("not YAML or JSON: %w", err)}
	}
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return nil, []error{fmt.Errorf("not an object: %w", err)}
	}
	if head.APIVersion == "v1" && (head.Kind == "List" || head.Kind == "PodList") {
		var pods []*corev1.Pod
		var errs []error
		for i, item := range head.Items {
			p, err := decodePod(sch, item)
			if err != nil {
				errs = append(errs, fmt.Errorf("items[%d]: %w", i, err))
				continue
			}
			pods = append(pods, p)
		}
		return pods, errs
	}
	p, err := decodePod(sch, js)
	if err != nil {
		return nil, []error{err}
	}
	return []*corev1.Pod{p}, nil
}

// decodePod decodes one object strictly and checks it is a pod with what a static pod needs.
func decodePod(sch *scheme.Scheme, js []byte) (*corev1.Pod, error) {
	k, obj, _, err := kubejson.DecodeManifest(sch, js)
	if err != nil {
		return nil, err
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("kind: %s is not a Pod", k.Kind)
	}
	var errs []error
	if pod.GetMetadata().GetName() == "" {
		errs = append(errs, errors.New("metadata.name: Required value"))
	}
	if len(pod.GetSpec().GetContainers()) == 0 {
		errs = append(errs, errors.New("spec.containers: Required value"))
	}
	for i, c := range pod.GetSpec().GetContainers() {
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("spec.containers[%d].name: Required value", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("pod %q: %w", pod.GetMetadata().GetName(), err)
	}
	return pod, nil
}

// MakeStatic turns a decoded manifest pod into the static pod this node runs, as Kubernetes does:
// the name gets the suffix -<node>, the namespace defaults to "default", spec.nodeName is the
// node, the UID and AnnotationHash are a hash of the manifest's content and the node name, and
// AnnotationSource and AnnotationSeen are set. pod is modified and returned.
func MakeStatic(pod *corev1.Pod, source, nodeName string, seen time.Time) *corev1.Pod {
	hash := contentHash(pod, nodeName)
	md := pod.Metadata
	md.Name = md.Name + "-" + nodeName
	if md.Namespace == "" {
		md.Namespace = "default"
	}
	md.Uid = hash
	md.ResourceVersion = ""
	md.Annotations = maps.Clone(md.Annotations)
	if md.Annotations == nil {
		md.Annotations = map[string]string{}
	}
	md.Annotations[AnnotationSource] = source
	md.Annotations[AnnotationHash] = hash
	md.Annotations[AnnotationSeen] = seen.UTC().Format(time.RFC3339Nano)
	if pod.Spec == nil {
		pod.Spec = &corev1.PodSpec{}
	}
	pod.Spec.NodeName = nodeName
	return pod
}

// contentHash hashes the pod as decoded (so YAML and JSON of one pod hash alike) with the node.
func contentHash(pod *corev1.Pod, nodeName string) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(pod)
	if err != nil {
		// A decoded pod always marshals; fall back to its text form rather than fail.
		b = []byte(pod.String())
	}
	h := sha256.New()
	h.Write(b)
	h.Write([]byte{0})
	h.Write([]byte(nodeName))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// APIStamper stamps a node's API pods for the Merger and remembers each stamped copy with the
// cached pod it came from. An informer hands out the same pointer until the pod changes, so a
// node whose one pod changed pays one copy, not one per pod it runs: the Merger and the pod
// workers then see the unchanged pods as the very same pointers and skip comparing them. Its zero
// value is ready; it is safe for concurrent use.
type APIStamper struct {
	mu    sync.Mutex
	known map[string]stampedPod // by pod UID
}

type stampedPod struct{ from, stamped *corev1.Pod }

// Stamp returns pods stamped (see StampAPI), reusing the copy of every pod unchanged since the
// last call, and forgets the pods that are gone.
func (s *APIStamper) Stamp(pods []*corev1.Pod) []*corev1.Pod {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]stampedPod, len(pods))
	out := make([]*corev1.Pod, 0, len(pods))
	for _, p := range pods {
		uid := p.GetMetadata().GetUid()
		sp, ok := s.known[uid]
		if !ok || sp.from != p {
			sp = stampedPod{from: p, stamped: StampAPI(p)}
		}
		next[uid] = sp
		out = append(out, sp.stamped)
	}
	s.known = next
	return out
}

// StampAPI marks a pod from the API server with AnnotationSource "api" on a copy.
func StampAPI(pod *corev1.Pod) *corev1.Pod {
	p := proto.Clone(pod).(*corev1.Pod)
	if p.Metadata == nil {
		p.Metadata = &metav1.ObjectMeta{}
	}
	p.Metadata.Annotations = maps.Clone(p.Metadata.Annotations)
	if p.Metadata.Annotations == nil {
		p.Metadata.Annotations = map[string]string{}
	}
	p.Metadata.Annotations[AnnotationSource] = SourceAPI
	return p
}
