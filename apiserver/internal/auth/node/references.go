package node

import (
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Kinds of objects a pod references.
const (
	KindSecret         = "secrets"
	KindConfigMap      = "configmaps"
	KindPVC            = "persistentvolumeclaims"
	KindServiceAccount = "serviceaccounts"
)

// Ref names an object a pod references, by resource and name; it lives in the pod's namespace.
type Ref struct {
	Resource string
	Name     string
}

// PodReferences returns every object pod references, each once: the secrets and config maps of its
// volumes (projected sources included), of its containers' env and envFrom (init and ephemeral
// containers included) and of its imagePullSecrets, its persistent volume claims, and its service
// account.
func PodReferences(pod *corev1.Pod) []Ref {
	seen := map[Ref]struct{}{}
	var out []Ref
	add := func(resource, name string) {
		if name == "" {
			return
		}
		r := Ref{Resource: resource, Name: name}
		if _, ok := seen[r]; ok {
			return
		}
		seen[r] = struct{}{}
		out = append(out, r)
	}
	spec := pod.GetSpec()
	add(KindServiceAccount, ServiceAccountName(pod))
	for _, s := range spec.GetImagePullSecrets() {
		add(KindSecret, s.GetName())
	}
	for _, v := range spec.GetVolumes() {
		add(KindSecret, v.GetSecret().GetSecretName())
		add(KindConfigMap, v.GetConfigMap().GetName())
		add(KindPVC, v.GetPersistentVolumeClaim().GetClaimName())
		for _, src := range v.GetProjected().GetSources() {
			add(KindSecret, src.GetSecret().GetName())
			add(KindConfigMap, src.GetConfigMap().GetName())
		}
	}
	envs := func(env []*corev1.EnvVar, from []*corev1.EnvFromSource) {
		for _, e := range env {
			add(KindSecret, e.GetValueFrom().GetSecretKeyRef().GetName())
			add(KindConfigMap, e.GetValueFrom().GetConfigMapKeyRef().GetName())
		}
		for _, f := range from {
			add(KindSecret, f.GetSecretRef().GetName())
			add(KindConfigMap, f.GetConfigMapRef().GetName())
		}
	}
	for _, c := range spec.GetInitContainers() {
		envs(c.GetEnv(), c.GetEnvFrom())
	}
	for _, c := range spec.GetContainers() {
		envs(c.GetEnv(), c.GetEnvFrom())
	}
	for _, c := range spec.GetEphemeralContainers() {
		envs(c.GetEnv(), c.GetEnvFrom())
	}
	return out
}

// ServiceAccountName returns the service account pod runs as: serviceAccountName, or the
// deprecated serviceAccount when that is unset.
func ServiceAccountName(pod *corev1.Pod) string {
	if n := pod.GetSpec().GetServiceAccountName(); n != "" {
		return n
	}
	return pod.GetSpec().GetServiceAccount()
}
