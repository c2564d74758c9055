package deployment

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"

	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// HashLabel is the label that ties a ReplicaSet, its selector and its pods to one template of
// their Deployment.
const HashLabel = "pod-template-hash"

// safeAlphabet holds no vowels and no characters that read alike, as Kubernetes' rand.SafeEncodeString.
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// templateHash returns the value of the pod-template-hash label for template: the FNV-32a hash
// of the template's deterministic encoding followed, when collisionCount is set, by its four
// little-endian bytes, written in decimal and mapped onto safeAlphabet. A collision with a
// ReplicaSet of another template is resolved by bumping collisionCount.
func templateHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(template)
	if err != nil {
		panic(fmt.Sprintf("deployment: encode pod template: %v", err)) // generated messages always encode
	}
	h := fnv.New32a()
	_, _ = h.Write(b) // a hash never fails to write
	if collisionCount != nil {
		var cc [4]byte
		binary.LittleEndian.PutUint32(cc[:], uint32(*collisionCount))
		_, _ = h.Write(cc[:])
	}
	digits := []byte(strconv.FormatUint(uint64(h.Sum32()), 10))
	for i, d := range digits {
		digits[i] = safeAlphabet[int(d)%len(safeAlphabet)]
	}
	return string(digits)
}

// equalIgnoreHash reports whether two templates are the same once their pod-template-hash labels
// are set aside: the Deployment's template carries none, its ReplicaSets' do.
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	return proto.Equal(withoutHash(a), withoutHash(b))
}

// withoutHash returns a copy of t without the pod-template-hash label.
func withoutHash(t *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	t = t.CloneVT()
	if t == nil {
		t = &corev1.PodTemplateSpec{}
	}
	if t.GetMetadata() != nil {
		delete(t.Metadata.Labels, HashLabel)
		if len(t.Metadata.Labels) == 0 {
			t.Metadata.Labels = nil
		}
	}
	return t
}
