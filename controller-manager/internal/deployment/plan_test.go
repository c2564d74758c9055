package deployment

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestFenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded down) as Kubernetes
// does, with one unavailable when both come to zero.
func TestFenceposts(t *testing.T) {
	tests := []struct {
		name                string
		replicas            int32
		surge, unavail      *metav1.IntOrString
		wantSurge, wantUnav int32
		wantMaxUnav         int32
	}{
		{name: "defaults of 25% at 10", replicas: 10, wantSurge: 3, wantUnav: 2, wantMaxUnav: 2},
		{name: "25% at 3", replicas: 3, surge: percent("25%"), unavail: percent("25%"), wantSurge: 1, wantUnav: 0, wantMaxUnav: 0},
		{name: "integers", replicas: 5, surge: number(2), unavail: number(1), wantSurge: 2, wantUnav: 1, wantMaxUnav: 1},
		{name: "both zero makes one unavailable", replicas: 3, surge: number(0), unavail: percent("10%"), wantSurge: 0, wantUnav: 1, wantMaxUnav: 1},
		{name: "unavailable capped at replicas", replicas: 2, surge: number(0), unavail: number(5), wantSurge: 0, wantUnav: 5, wantMaxUnav: 2},
		{name: "100% surge", replicas: 7, surge: percent("100%"), unavail: number(0), wantSurge: 7, wantUnav: 0, wantMaxUnav: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(tt.replicas, "v1", surge(tt.surge, tt.unavail))
			s, u, err := fenceposts(d)
			require.NoError(t, err)
			require.Equal(t, tt.wantSurge, s)
			require.Equal(t, tt.wantUnav, u)
			require.Equal(t, tt.wantMaxUnav, maxUnavailable(d))
			require.Equal(t, tt.wantSurge, maxSurge(d))
		})
	}
	_, _, err := fenceposts(deploy(3, "v1", surge(&metav1.IntOrString{Type: intOrStringString, StrVal: "lots"}, nil)))
	require.ErrorContains(t, err, "maxSurge")
	require.Zero(t, maxSurge(deploy(3, "v1", recreate())), "Recreate never surges")
}

// TestNewRSReplicas sizes the new ReplicaSet of a rolling update within replicas+maxSurge.
func TestNewRSReplicas(t *testing.T) {
	d := deploy(10, "v2") // surge 3
	tests := []struct {
		name     string
		old, cur int32
		want     int32
	}{
		{name: "start: surge only", old: 10, cur: 0, want: 3},
		{name: "room after old shrank", old: 5, cur: 3, want: 8},
		{name: "never above replicas", old: 0, cur: 8, want: 10},
		{name: "full: unchanged", old: 10, cur: 3, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur := rs(d, "v1", 1, tt.old), rs(d, "v2", 2, tt.cur)
			require.Equal(t, tt.want, newRSReplicas(d, []*appsv1.ReplicaSet{old, cur}, cur))
		})
	}
	require.Equal(t, int32(10), newRSReplicas(deploy(10, "v2", recreate()), nil, rs(d, "v2", 2, 0)))
}

// TestProportionalSizes spreads scale changes over the ReplicaSets of a rollout in progress,
// the rounding leftover going to the largest.
func TestProportionalSizes(t *testing.T) {
	was := deploy(10, "v2") // max 13
	tests := []struct {
		name     string
		replicas int32
		sizes    []int32 // old (older first), then new
		want     []int32
	}{
		{name: "double", replicas: 20, sizes: []int32{8, 5}, want: []int32{15, 10}},
		{name: "halve", replicas: 5, sizes: []int32{8, 5}, want: []int32{4, 3}}, // max 7: 8*7/13 = 4.3 -> 4, 5*7/13 = 2.7 -> 3
		{name: "to zero", replicas: 0, sizes: []int32{8, 5}, want: []int32{0, 0}},
		{name: "three sets", replicas: 30, sizes: []int32{4, 4, 5}, want: []int32{11, 12, 15}}, // max 38: the newer 4 takes 8 first, the older only the 7 left
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(tt.replicas, "v2")
			var rss []*appsv1.ReplicaSet
			for i, n := range tt.sizes {
				rss = append(rss, rs(was, "v"+string(rune('a'+i)), i+1, n, sizedFor(10, 13)))
			}
			got := proportionalSizes(d, rss)
			var total int32
			for i, r := range rss {
				require.Equal(t, tt.want[i], got[r.GetMetadata().GetName()], "size of %s", r.GetMetadata().GetName())
				total += got[r.GetMetadata().GetName()]
			}
			wantTotal := int32(0)
			if tt.replicas > 0 {
				wantTotal = tt.replicas + maxSurge(d)
			}
			require.Equal(t, wantTotal, total)
		})
	}
}

// TestTemplateHash: the hash is stable, changes with the template and the collision count, and
// spells only safe characters.
func TestTemplateHash(t *testing.T) {
	a, b := template("v1"), template("v2")
	h := templateHash(a, nil)
	require.Equal(t, h, templateHash(template("v1"), nil))
	require.NotEqual(t, h, templateHash(b, nil))
	require.NotEqual(t, h, templateHash(a, proto.Int32(1)))
	require.NotEqual(t, templateHash(a, proto.Int32(1)), templateHash(a, proto.Int32(2)))
	for _, r := range h {
		require.True(t, strings.ContainsRune(safeAlphabet, r), "%q in %q", r, h)
	}
	labelled := template("v1")
	labelled.Metadata.Labels[HashLabel] = h
	require.True(t, equalIgnoreHash(a, labelled))
	require.False(t, equalIgnoreHash(a, b))
}

// TestRevisionAnnotations: a ReplicaSet made current again takes the next revision and keeps its
// old one in the history.
func TestRevisionAnnotations(t *testing.T) {
	d := deploy(3, "v1")
	d.Metadata.Annotations = map[string]string{"kubernetes.io/change-cause": "undo", lastAppliedAnnotation: "{}", RevisionAnnotation: "9"}
	r := rs(d, "v1", 1, 3)
	r.Metadata.Annotations[RevisionHistoryAnnotation] = "0"
	require.True(t, setNewReplicaSetAnnotations(d, r, 4, true))
	a := r.GetMetadata().GetAnnotations()
	require.Equal(t, "4", a[RevisionAnnotation])
	require.Equal(t, "0,1", a[RevisionHistoryAnnotation])
	require.Equal(t, "undo", a["kubernetes.io/change-cause"])
	require.NotContains(t, a, lastAppliedAnnotation)
	require.False(t, setNewReplicaSetAnnotations(d, r, 4, true), "already current")
}
