package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	k8sappsv1 "k8s.io/api/apps/v1"
	k8sautoscalingv1 "k8s.io/api/autoscaling/v1"
	k8scorev1 "k8s.io/api/core/v1"
	k8spolicyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// roundTripIterations is how many random objects of each kind the round-trip tests build. Half are
// filled completely (every pointer, slice and map set), half leave a random fifth of them unset.
const roundTripIterations = 40

// newFiller returns a seeded filler whose values are ones Kubernetes' JSON can carry: canonical
// quantities, times at the precision their type encodes, int-or-strings of either kind, field
// sets and raw extensions that are JSON objects. complete fills every pointer, slice and map.
func newFiller(seed int64, complete bool) *randfill.Filler {
	nilChance := 0.2
	if complete {
		nilChance = 0
	}
	return randfill.NewWithSeed(seed).NilChance(nilChance).NumElements(1, 2).Funcs(
		func(s *string, c randfill.Continue) {
			// Mostly non-empty so that an omitempty field is present and a lost one noticed.
			if c.Intn(10) == 0 {
				*s = ""
				return
			}
			*s = randomWord(c.Rand)
		},
		func(q *resource.Quantity, c randfill.Continue) {
			suffixes := []string{"", "m", "k", "M", "Ki", "Mi", "Gi"}
			*q = resource.MustParse(fmt.Sprintf("%d%s", c.Int63n(100000), suffixes[c.Intn(len(suffixes))]))
		},
		func(t *k8smetav1.Time, c randfill.Continue) {
			*t = k8smetav1.NewTime(time.Unix(c.Int63n(4e9), 0).UTC())
		},
		func(t *k8smetav1.MicroTime, c randfill.Continue) {
			*t = k8smetav1.NewMicroTime(time.Unix(c.Int63n(4e9), c.Int63n(1e6)*1e3).UTC())
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31())
			} else {
				*v = intstr.FromString(randomWord(c.Rand))
			}
		},
		func(f *k8smetav1.FieldsV1, c randfill.Continue) {
			f.Raw = []byte(fmt.Sprintf(`{"f:%s":{}}`, randomWord(c.Rand)))
		},
		func(r *runtime.RawExtension, c randfill.Continue) {
			r.Raw = []byte(fmt.Sprintf(`{"apiVersion":"v1","kind":%q}`, randomWord(c.Rand)))
		},
	)
}

// randomWord returns 1 to 12 letters, digits and a few punctuation marks, sometimes not ASCII.
func randomWord(r *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/ "
	n := 1 + r.Intn(12)
	b := make([]rune, 0, n)
	for range n {
		if r.Intn(20) == 0 {
			b = append(b, rune(0xe0+r.Intn(0x100)))
			continue
		}
		b = append(b, rune(chars[r.Intn(len(chars))]))
	}
	return string(b)
}

// TestRoundTripEveryField fills Kubernetes' Go object of every served kind with random values in
// every field, sends it through the JSON converter into Keelson's message, through the message's
// wire encoding, and back out as Kubernetes JSON, and requires what comes out to equal what went
// in: a field Keelson's messages lack fails the strict decode, a field they carry wrongly fails
// the comparison. The object also goes in as Kubernetes' protobuf, as client-go may send it.
func TestRoundTripEveryField(t *testing.T) {
	for _, k := range scheme.Builtin().Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			for i := range roundTripIterations {
				typed, ok := kubejson.NewTyped(k)
				require.True(t, ok)
				in := fill(t, typed, int64(i), k.APIVersion(), k.Kind)

				obj, err := kubejson.FromJSON(k, in, kubejson.DecodeOptions{Strict: true})
				require.NoError(t, err, "iteration %d", i)
				out, err := kubejson.ToJSON(k, obj, true)
				require.NoError(t, err)
				requireSameObject(t, typed, out, "iteration %d: JSON in and out differ", i)

				b, err := wire.Marshal(obj)
				require.NoError(t, err)
				back := k.New()
				require.NoError(t, wire.Unmarshal(b, back))
				out, err = kubejson.ToJSON(k, back, true)
				require.NoError(t, err)
				requireSameObject(t, typed, out, "iteration %d: after the wire encoding", i)

				var pb bytes.Buffer
				require.NoError(t, protobuf.NewSerializer(kubejson.Scheme(), kubejson.Scheme()).Encode(typed, &pb))
				fromPB, err := protobufToJSON(k, pb.Bytes())
				require.NoError(t, err)
				obj, err = kubejson.FromJSON(k, fromPB, kubejson.DecodeOptions{Strict: true})
				require.NoError(t, err, "iteration %d", i)
				out, err = kubejson.ToJSON(k, obj, true)
				require.NoError(t, err)
				if sts, ok := typed.(*k8sappsv1.StatefulSet); ok {
					// Kubernetes' protobuf does not carry the type fields of embedded objects.
					for j := range sts.Spec.VolumeClaimTemplates {
						sts.Spec.VolumeClaimTemplates[j].TypeMeta = k8smetav1.TypeMeta{}
					}
				}
				requireSameObject(t, typed, out, "iteration %d: sent as Kubernetes protobuf", i)
			}
		})
	}
}

// TestRoundTripSubresourcePayloads does for the subresource payloads (Binding, Scale, Eviction)
// what TestRoundTripEveryField does for the kinds: Kubernetes' object with every field set, through
// Keelson's message and its wire encoding, and back out unchanged.
func TestRoundTripSubresourcePayloads(t *testing.T) {
	for _, tc := range []struct {
		apiVersion, kind string
		typed            func() runtime.Object
		msg              func() proto.Message
	}{
		{"v1", "Binding", func() runtime.Object { return &k8scorev1.Binding{} }, func() proto.Message { return &corev1.Binding{} }},
		{"autoscaling/v1", "Scale", func() runtime.Object { return &k8sautoscalingv1.Scale{} }, func() proto.Message { return &autoscalingv1.Scale{} }},
		{"policy/v1", "Eviction", func() runtime.Object { return &k8spolicyv1.Eviction{} }, func() proto.Message { return &policyv1.Eviction{} }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			for i := range roundTripIterations {
				typed := tc.typed()
				in := fill(t, typed, int64(i), tc.apiVersion, tc.kind)

				var m map[string]any
				d := json.NewDecoder(bytes.NewReader(in))
				d.UseNumber() // as the handler decodes bodies: int64s stay exact
				require.NoError(t, d.Decode(&m))
				delete(m, "apiVersion")
				delete(m, "kind")
				msg := tc.msg()
				require.NoError(t, kubejson.MapToMessage(m, msg, kubejson.DecodeOptions{Strict: true}), "iteration %d", i)
				b, err := wire.Marshal(msg)
				require.NoError(t, err)
				back := tc.msg()
				require.NoError(t, wire.Unmarshal(b, back))

				outMap, err := kubejson.MessageToMap(back)
				require.NoError(t, err)
				outMap["apiVersion"], outMap["kind"] = tc.apiVersion, tc.kind
				out, err := json.Marshal(outMap)
				require.NoError(t, err)
				requireSameObject(t, typed, out, "iteration %d", i)
			}
		})
	}
}

// fill fills typed with the filler of the given seed, complete for even seeds, sets its apiVersion
// and kind, and returns its JSON encoding.
func fill(t *testing.T, typed runtime.Object, seed int64, apiVersion, kind string) []byte {
	t.Helper()
	newFiller(seed, seed%2 == 0).Fill(typed)
	typed.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
	b, err := json.Marshal(typed)
	require.NoError(t, err)
	return b
}

// requireSameObject decodes out into a new object of want's Go type and requires it to equal want
// semantically (quantities by value, nil and empty slices alike), showing the JSON difference when
// it does not.
func requireSameObject(t *testing.T, want any, out []byte, msgAndArgs ...any) {
	t.Helper()
	got := reflect.New(reflect.TypeOf(want).Elem()).Interface()
	require.NoError(t, json.Unmarshal(out, got), msgAndArgs...)
	if apiequality.Semantic.DeepEqual(want, got) {
		return
	}
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	require.Equal(t, jsonValue(t, wantJSON), jsonValue(t, gotJSON), msgAndArgs...)
	require.Fail(t, "objects differ only in ways their JSON does not show", msgAndArgs...)
}

// jsonValue decodes b as generic JSON, for comparisons that ignore key order.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}
