package pods

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// fakeTokens issues numbered tokens valid for the seconds asked, and records the requests.
type fakeTokens struct {
	clk *clock.Fake
	mu  sync.Mutex
	got []*authenticationv1.TokenRequest
}

func (f *fakeTokens) CreateToken(_ context.Context, namespace, sa string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, tr)
	exp := f.clk.Now().Add(time.Duration(tr.GetSpec().GetExpirationSeconds()) * time.Second)
	return &authenticationv1.TokenRequest{Spec: tr.Spec, Status: &authenticationv1.TokenRequestStatus{
		Token: namespace + "/" + sa + "#" + strconv.Itoa(len(f.got)), ExpirationTimestamp: timestamppb.New(exp),
	}}, nil
}

// fakeObjects serves one ConfigMap, kube-root-ca.crt.
type fakeObjects struct{}

func (fakeObjects) ConfigMap(_ context.Context, _, name string) (*corev1.ConfigMap, error) {
	if name != "kube-root-ca.crt" {
		return nil, apierrors.NewNotFound("", "configmaps", name)
	}
	return &corev1.ConfigMap{Data: map[string]string{"ca.crt": "CA PEM"}}, nil
}

func (fakeObjects) Secret(_ context.Context, _, name string) (*corev1.Secret, error) {
	return nil, apierrors.NewNotFound("", "secrets", name)
}

func (fakeObjects) Services(context.Context, string) ([]*corev1.Service, error) { return nil, nil }

// accessPod is a pod with the projected volume ServiceAccount admission gives it.
func accessPod() *corev1.Pod {
	exp, mode := int64(3600), int32(0o644)
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Namespace: "team", Name: "app", Uid: "app-uid"},
		Spec: &corev1.PodSpec{
			ServiceAccountName: "builder",
			Volumes: []*corev1.Volume{{Name: "kube-api-access-x", Projected: &corev1.ProjectedVolumeSource{DefaultMode: &mode, Sources: []*corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &exp, Path: "token"}},
				{ConfigMap: &corev1.ConfigMapProjection{Name: "kube-root-ca.crt", Items: []*corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
				{DownwardApi: &corev1.DownwardAPIProjection{Items: []*corev1.DownwardAPIVolumeFile{
					{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{ApiVersion: "v1", FieldPath: "metadata.namespace"}},
				}}},
			}}}},
			Containers: []*corev1.Container{{Name: "c", VolumeMounts: []*corev1.VolumeMount{
				{Name: "kube-api-access-x", ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"},
			}}},
		},
	}
}

func TestProjectedVolumeIsWrittenAndItsTokenRefreshed(t *testing.T) {
	clk := clock.NewFake(epoch)
	tokens := &fakeTokens{clk: clk}
	root := t.TempDir()
	m, err := New(Config{Runtime: newFakeRuntime(clk), Clock: clk, VolumeRoot: root, Tokens: tokens, Objects: fakeObjects{}})
	require.NoError(t, err)
	ctx := context.Background()
	pod := accessPod()
	read := func(dir, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return string(b)
	}

	dirs, next, err := m.volumes.prepare(ctx, pod)
	require.NoError(t, err)
	dir := dirs["kube-api-access-x"]
	require.Equal(t, filepath.Join(root, "app-uid", "volumes", "kube-api-access-x"), dir)
	require.Equal(t, "team/builder#1", read(dir, "token"))
	require.Equal(t, "CA PEM", read(dir, "ca.crt"))
	require.Equal(t, "team", read(dir, "namespace"))
	require.Equal(t, 48*time.Minute, next, "the token is due at 80% of its hour")
	ref := tokens.got[0].GetSpec().GetBoundObjectRef()
	require.Equal(t, "Pod", ref.GetKind())
	require.Equal(t, "app-uid", ref.GetUid(), "the token is bound to the pod")
	require.Equal(t, []cri.Mount{{HostPath: dir, ContainerPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
		containerMounts(pod.Spec.Containers[0], dirs))

	clk.Step(47 * time.Minute)
	_, _, err = m.volumes.prepare(ctx, pod)
	require.NoError(t, err)
	require.Len(t, tokens.got, 1, "not yet due: no new token")
	clk.Step(time.Minute)
	_, next, err = m.volumes.prepare(ctx, pod)
	require.NoError(t, err)
	require.Equal(t, "team/builder#2", read(dir, "token"), "the token is replaced once due")
	require.Equal(t, 48*time.Minute, next)

	require.NoError(t, m.volumes.forget("app-uid"))
	_, err = os.Stat(filepath.Join(root, "app-uid"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestProjectedVolumeFailsOnAMissingConfigMap(t *testing.T) {
	clk := clock.NewFake(epoch)
	m, err := New(Config{Runtime: newFakeRuntime(clk), Clock: clk, VolumeRoot: t.TempDir(), Tokens: &fakeTokens{clk: clk}, Objects: fakeObjects{}})
	require.NoError(t, err)
	pod := accessPod()
	pod.Spec.Volumes[0].Projected.Sources[1].ConfigMap.Name = "missing"
	_, _, err = m.volumes.prepare(context.Background(), pod)
	require.Error(t, err)
	optional := true
	pod.Spec.Volumes[0].Projected.Sources[1].ConfigMap.Optional = &optional
	_, _, err = m.volumes.prepare(context.Background(), pod)
	require.NoError(t, err, "an optional config map may be missing")
}
