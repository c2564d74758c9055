package integration

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	k8sappsv1 "k8s.io/api/apps/v1"
	k8scorev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keelson-dev/keelson/test/framework"
)

// TestCRUDStorageVolumesOverREST creates, with strict field validation, a pod whose volumes are a
// cloud disk, a network file system, a CSI driver, a generic ephemeral claim and an image, and a
// stateful set with volume claim templates, as manifests written for Kubernetes carry them, and
// reads back the same volumes and claim templates, with the defaults Kubernetes gives them.
func TestCRUDStorageVolumesOverREST(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	claimSpec := k8scorev1.PersistentVolumeClaimSpec{
		AccessModes: []k8scorev1.PersistentVolumeAccessMode{k8scorev1.ReadWriteOnce},
		Resources: k8scorev1.VolumeResourceRequirements{
			Requests: k8scorev1.ResourceList{k8scorev1.ResourceStorage: resource.MustParse("1Gi")},
		},
	}
	// Kubernetes reads a claim spec back with volumeMode Filesystem.
	filesystem := k8scorev1.PersistentVolumeFilesystem
	defaultedSpec := *claimSpec.DeepCopy()
	defaultedSpec.VolumeMode = &filesystem
	volumes := []k8scorev1.Volume{
		{Name: "pd", VolumeSource: k8scorev1.VolumeSource{GCEPersistentDisk: &k8scorev1.GCEPersistentDiskVolumeSource{PDName: "disk", FSType: "ext4"}}},
		{Name: "nfs", VolumeSource: k8scorev1.VolumeSource{NFS: &k8scorev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports", ReadOnly: true}}},
		{Name: "inline", VolumeSource: k8scorev1.VolumeSource{CSI: &k8scorev1.CSIVolumeSource{Driver: "inline.storage.kubernetes.io",
			VolumeAttributes: map[string]string{"foo": "bar"}}}},
		{Name: "scratch", VolumeSource: k8scorev1.VolumeSource{Ephemeral: &k8scorev1.EphemeralVolumeSource{
			VolumeClaimTemplate: &k8scorev1.PersistentVolumeClaimTemplate{Spec: claimSpec}}}},
		{Name: "artifact", VolumeSource: k8scorev1.VolumeSource{Image: &k8scorev1.ImageVolumeSource{Reference: "quay.io/crio/artifact:v1",
			PullPolicy: k8scorev1.PullIfNotPresent}}},
	}
	pod := &k8scorev1.Pod{
		TypeMeta:   k8smetav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: k8smetav1.ObjectMeta{Name: "storage"},
		Spec: k8scorev1.PodSpec{
			Containers: []k8scorev1.Container{{Name: "app", Image: "busybox:1.36", VolumeMounts: []k8scorev1.VolumeMount{
				{Name: "nfs", MountPath: "/nfs"}, {Name: "scratch", MountPath: "/scratch"},
			}}},
			Volumes: volumes,
		},
	}
	got := &k8scorev1.Pod{}
	createAndGet(t, base+"/api/v1/namespaces/default/pods", pod, got)
	wantVolumes := make([]k8scorev1.Volume, len(volumes))
	for i := range volumes {
		volumes[i].DeepCopyInto(&wantVolumes[i])
	}
	wantVolumes[3].Ephemeral.VolumeClaimTemplate.Spec = defaultedSpec
	require.True(t, apiequality.Semantic.DeepEqual(wantVolumes, got.Spec.Volumes), "volumes read back: %+v", got.Spec.Volumes)

	labels := map[string]string{"app": "web"}
	claims := []k8scorev1.PersistentVolumeClaim{{ObjectMeta: k8smetav1.ObjectMeta{Name: "www"}, Spec: claimSpec}}
	sts := &k8sappsv1.StatefulSet{
		TypeMeta:   k8smetav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: k8smetav1.ObjectMeta{Name: "web"},
		Spec: k8sappsv1.StatefulSetSpec{
			ServiceName: "web",
			Selector:    &k8smetav1.LabelSelector{MatchLabels: labels},
			Template: k8scorev1.PodTemplateSpec{
				ObjectMeta: k8smetav1.ObjectMeta{Labels: labels},
				Spec: k8scorev1.PodSpec{Containers: []k8scorev1.Container{{Name: "nginx", Image: "nginx:1.27",
					VolumeMounts: []k8scorev1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}}}}},
			},
			VolumeClaimTemplates: claims,
		},
	}
	gotSts := &k8sappsv1.StatefulSet{}
	createAndGet(t, base+"/apis/apps/v1/namespaces/default/statefulsets", sts, gotSts)
	// Kubernetes writes claim templates as typed claims, with the spec defaults and phase Pending.
	wantClaims := []k8scorev1.PersistentVolumeClaim{{
		TypeMeta:   k8smetav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: k8smetav1.ObjectMeta{Name: "www"}, Spec: defaultedSpec,
		Status: k8scorev1.PersistentVolumeClaimStatus{Phase: k8scorev1.ClaimPending},
	}}
	require.True(t, apiequality.Semantic.DeepEqual(wantClaims, gotSts.Spec.VolumeClaimTemplates),
		"claim templates read back: %+v", gotSts.Spec.VolumeClaimTemplates)
}

// createAndGet posts obj to the collection at url with strict field validation, requires it
// created, and decodes the object read back by name into out.
func createAndGet(t *testing.T, url string, obj interface{ GetName() string }, out any) {
	t.Helper()
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	code, created := restDo(t, http.MethodPost, url+"?fieldValidation=Strict", "application/json", string(b))
	require.Equal(t, http.StatusCreated, code, created)
	code, read := restDo(t, http.MethodGet, url+"/"+obj.GetName(), "", "")
	require.Equal(t, http.StatusOK, code, read)
	b, err = json.Marshal(read)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out))
}
