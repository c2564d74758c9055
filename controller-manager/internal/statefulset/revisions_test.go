package statefulset

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// history returns the set's revisions as name → revision number.
func (h *harness) history(t *testing.T) map[string]int64 {
	t.Helper()
	l, err := h.srv.Client().ControllerRevisions("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	out := map[string]int64{}
	for _, cr := range l.Items {
		out[cr.GetMetadata().GetName()] = cr.GetRevision()
	}
	return out
}

func TestRevisionsRecordTheTemplateHistory(t *testing.T) {
	h := start(t, webSet(1, Parallel))
	h.sync(t)
	rev1 := h.set(t).GetStatus().GetUpdateRevision()
	require.Equal(t, map[string]int64{rev1: 1}, h.history(t))

	cr, err := h.srv.Client().ControllerRevisions("default").Get(h.ctx, rev1)
	require.NoError(t, err)
	require.True(t, controllerRef(cr.GetMetadata()).GetController())
	tmpl, err := templateOf(cr)
	require.NoError(t, err)
	require.Equal(t, "img:1", tmpl.GetSpec().GetContainers()[0].GetImage(), "the revision holds the template")
	require.JSONEq(t, `"replace"`, string(mustField(t, cr.GetData(), "$patch")), "kubectl rollout undo applies the data as a patch")

	h.update(t, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "img:2" })
	h.sync(t)
	rev2 := h.set(t).GetStatus().GetUpdateRevision()
	require.Equal(t, map[string]int64{rev1: 1, rev2: 2}, h.history(t))

	// Back to the first template: its revision moves to the top rather than a copy being made.
	h.update(t, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "img:1" })
	h.sync(t)
	require.Equal(t, rev1, h.set(t).GetStatus().GetUpdateRevision())
	require.Equal(t, map[string]int64{rev1: 3, rev2: 2}, h.history(t))
}

func TestHistoryIsTruncatedToTheLimit(t *testing.T) {
	set := webSet(0, Parallel)
	limit := int32(2)
	set.Spec.RevisionHistoryLimit = &limit
	h := start(t, set)
	h.sync(t)
	for _, img := range []string{"img:2", "img:3", "img:4", "img:5"} {
		h.update(t, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = img })
		h.sync(t)
	}
	hist := h.history(t)
	var numbers []int64
	for _, n := range hist {
		numbers = append(numbers, n)
	}
	require.ElementsMatch(t, []int64{3, 4, 5}, numbers, "the update revision and the two newest others")
}

func TestRevisionHashIsStableAndCollisionAware(t *testing.T) {
	data := []byte(`{"spec":{}}`)
	require.Equal(t, revisionHash(data, nil), revisionHash(data, nil))
	one := int32(1)
	require.NotEqual(t, revisionHash(data, nil), revisionHash(data, &one))
	for _, c := range revisionHash(data, &one) {
		require.Contains(t, safeAlphabet, string(c))
	}
}

func orphanPod(name string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"}, Finalizers: []string{hold}},
		Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "img:1"}}},
	}
}

func TestOrphansNamedAsMembersAreAdopted(t *testing.T) {
	h := start(t, webSet(2, Parallel), orphanPod("web-1"), orphanPod("stranger"))
	h.sync(t)
	pods := h.pods(t)
	require.True(t, controllerRef(pods["web-1"].GetMetadata()).GetController(), "web-1 adopted")
	require.Nil(t, controllerRef(pods["stranger"].GetMetadata()), "a pod not named as a member stays an orphan")
	require.NotNil(t, pods["web-1"].GetMetadata().GetDeletionTimestamp(), "it has no revision: replaced by the rolling update")
	h.finish(t)
	h.sync(t)
	web1 := h.pods(t)["web-1"]
	require.Equal(t, "web-1", web1.GetSpec().GetHostname(), "recreated with its identity")
	require.Equal(t, h.set(t).GetStatus().GetUpdateRevision(), web1.GetMetadata().GetLabels()[RevisionLabel])
	require.Contains(t, h.pods(t), "web-0")
}

func TestPodsNameTheirClaims(t *testing.T) {
	set := webSet(1, Parallel)
	set.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{{Metadata: &metav1.ObjectMeta{Name: "data"}}}
	h := start(t, set)
	h.sync(t)
	vols := h.pods(t)["web-0"].GetSpec().GetVolumes()
	require.Len(t, vols, 1)
	require.Equal(t, "data", vols[0].GetName())
	require.Equal(t, "data-web-0", vols[0].GetPersistentVolumeClaim().GetClaimName())
}
