package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Names and values of the projected volume, as Kubernetes 1.32 writes them.
const (
	DefaultServiceAccount = "default"
	// MountPath is where every container sees the volume.
	MountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// VolumePrefix starts the volume's name; a random suffix of five characters follows.
	VolumePrefix = "kube-api-access-"
	// TokenExpirationSeconds is the token's requested lifetime: an hour and seven seconds, the
	// odd value telling these tokens apart.
	TokenExpirationSeconds = 3607
	RootCAConfigMap        = "kube-root-ca.crt"
	mirrorAnnotation       = "kubernetes.io/config.mirror"
	volumeMode             = 0o644
)

// Getter reads a service account; *registry.Store serving serviceaccounts is one.
type Getter interface {
	Get(ctx context.Context, namespace, name string, opts registry.GetOptions) (scheme.Object, error)
}

// Admission is the ServiceAccount admission. It is safe for concurrent use.
type Admission struct {
	accounts Getter
}

var _ registry.Mutator = (*Admission)(nil)

// New returns the ServiceAccount admission of reg, which must serve serviceaccounts.
func New(reg *registry.Registry) (*Admission, error) {
	st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"})
	if err != nil {
		return nil, fmt.Errorf("service account admission: %w", err)
	}
	return NewWith(st), nil
}

// NewWith returns the ServiceAccount admission reading accounts through g.
func NewWith(g Getter) *Admission { return &Admission{accounts: g} }

// Mutate sets a pod's service account and adds its projected token volume.
func (ad *Admission) Mutate(ctx context.Context, a registry.Attributes) error {
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || a.Operation != registry.OperationCreate {
		return nil
	}
	if _, mirror := pod.GetMetadata().GetAnnotations()[mirrorAnnotation]; mirror {
		return nil
	}
	if pod.Spec == nil {
		pod.Spec = &corev1.PodSpec{}
	}
	spec := pod.Spec
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = spec.ServiceAccount
	}
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = DefaultServiceAccount
	}
	spec.ServiceAccount = spec.ServiceAccountName
	automount := true
	if spec.AutomountServiceAccountToken != nil {
		automount = spec.GetAutomountServiceAccountToken()
	} else {
		obj, err := ad.accounts.Get(ctx, a.Namespace, spec.ServiceAccountName, registry.GetOptions{ResourceVersion: "0"})
		switch {
		case apierrors.IsNotFound(err):
			// The account may be created after the pod; the token request waits for it.
		case err != nil:
			return fmt.Errorf("read service account %s/%s: %w", a.Namespace, spec.ServiceAccountName, err)
		default:
			if sa := obj.(*corev1.ServiceAccount); sa.AutomountServiceAccountToken != nil {
				automount = sa.GetAutomountServiceAccountToken()
			}
		}
	}
	if !automount || mountsPath(spec) {
		return nil
	}
	name := VolumePrefix + suffix()
	spec.Volumes = append(spec.Volumes, Volume(name))
	mount := func(cs []*corev1.Container) {
		for _, c := range cs {
			c.VolumeMounts = append(c.VolumeMounts, &corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: MountPath})
		}
	}
	mount(spec.InitContainers)
	mount(spec.Containers)
	return nil
}

// Volume returns the projected service account volume called name.
func Volume(name string) *corev1.Volume {
	exp, mode := int64(TokenExpirationSeconds), int32(volumeMode)
	return &corev1.Volume{Name: name, Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []*corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &exp, Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{Name: RootCAConfigMap, Items: []*corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardApi: &corev1.DownwardAPIProjection{Items: []*corev1.DownwardAPIVolumeFile{
				{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{ApiVersion: "v1", FieldPath: "metadata.namespace"}},
			}}},
		},
	}}
}

// mountsPath reports whether a container already mounts something at MountPath.
func mountsPath(spec *corev1.PodSpec) bool {
	for _, cs := range [][]*corev1.Container{spec.GetInitContainers(), spec.GetContainers()} {
		for _, c := range cs {
			for _, m := range c.GetVolumeMounts() {
				if m.GetMountPath() == MountPath {
					return true
				}
			}
		}
	}
	return false
}

// suffix returns five characters of Kubernetes' name alphabet, which has no vowels and no
// look-alike digits.
func suffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}
