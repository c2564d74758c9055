package podsource

import (
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Reporter is told about every bad manifest: origin names the file, URL or request it came from,
// err the document or item and field with the decoder's message. The kubelet logs it and records
// an Event.
type Reporter interface {
	BadManifest(origin string, err error)
}

// stamper makes static pods and remembers them by UID, so that a manifest read again unchanged
// gives the very same pod (same AnnotationSeen) and the merged set does not change.
type stamper struct {
	source   string
	nodeName string
	now      func() time.Time
	known    map[string]*corev1.Pod
}

func newStamper(source, nodeName string, now func() time.Time) *stamper {
	return &stamper{source: source, nodeName: nodeName, now: now, known: map[string]*corev1.Pod{}}
}

// stamp turns decoded pods into static pods, reusing those already known.
func (s *stamper) stamp(decoded []*corev1.Pod) []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(decoded))
	for _, p := range decoded {
		uid := contentHash(p, s.nodeName)
		if known, ok := s.known[uid]; ok {
			out = append(out, known)
			continue
		}
		sp := MakeStatic(p, s.source, s.nodeName, s.now())
		s.known[uid] = sp
		out = append(out, sp)
	}
	return out
}

// forgetExcept drops the remembered pods that are not in keep.
func (s *stamper) forgetExcept(keep []*corev1.Pod) {
	live := make(map[string]bool, len(keep))
	for _, p := range keep {
		live[p.GetMetadata().GetUid()] = true
	}
	for uid := range s.known {
		if !live[uid] {
			delete(s.known, uid)
		}
	}
}
