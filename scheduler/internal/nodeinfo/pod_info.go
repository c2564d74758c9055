package nodeinfo

import (
	"errors"
	"fmt"
	"strings"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// PodInfo is a pod with what the predicates and priorities read from it parsed once.
type PodInfo struct {
	Pod *corev1.Pod
	// Key is "namespace/name".
	Key string
	// Requests is what the pod consumes on its node; NonZero the same with defaults for missing
	// cpu and memory requests, used by scoring.
	Requests Resource
	NonZero  Resource
	// HostPorts are the host ports the pod's containers claim.
	HostPorts []HostPort
	// HostPaths are the hostPath volumes the pod mounts.
	HostPaths []HostPathUse
	// Images are the normalized names of the pod's container images.
	Images []string
	// The pod's inter-pod affinity rules, with their selectors compiled.
	RequiredAffinity      []AffinityTerm
	RequiredAntiAffinity  []AffinityTerm
	PreferredAffinity     []AffinityTerm
	PreferredAntiAffinity []AffinityTerm
}

// HostPathUse is a hostPath volume a pod uses, read-only when every mount of it is.
type HostPathUse struct {
	Path     string
	ReadOnly bool
}

// NewPodInfo parses pod. When part of it does not parse (a bad quantity or selector, which the
// apiserver's validation normally rules out), it returns the error and a PodInfo that lacks only
// that part, so that a pod already running is still accounted for as well as can be.
func NewPodInfo(pod *corev1.Pod) (*PodInfo, error) {
	pi := &PodInfo{Pod: pod, Key: PodKey(pod)}
	var errs []error
	req, nonZero, err := podRequests(pod.GetSpec())
	if err != nil {
		errs = append(errs, fmt.Errorf("requests: %w", err))
	}
	pi.Requests, pi.NonZero = req, nonZero
	pi.HostPorts = podHostPorts(pod.GetSpec())
	pi.HostPaths = podHostPaths(pod.GetSpec())
	pi.Images = podImages(pod.GetSpec())
	if err := pi.compileAffinity(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return pi, fmt.Errorf("pod %s: %w", pi.Key, err)
	}
	return pi, nil
}

// PodKey returns "namespace/name" of pod.
func PodKey(pod *corev1.Pod) string {
	m := pod.GetMetadata()
	return m.GetNamespace() + "/" + m.GetName()
}

// HasAffinity reports whether the pod has any inter-pod affinity or anti-affinity rule.
func (pi *PodInfo) HasAffinity() bool {
	return len(pi.RequiredAffinity)+len(pi.RequiredAntiAffinity)+len(pi.PreferredAffinity)+len(pi.PreferredAntiAffinity) > 0
}

// HasRequiredAntiAffinity reports whether the pod has a required anti-affinity rule.
func (pi *PodInfo) HasRequiredAntiAffinity() bool { return len(pi.RequiredAntiAffinity) > 0 }

// Priority returns the pod's priority, 0 when unset.
func (pi *PodInfo) Priority() int32 { return pi.Pod.GetSpec().GetPriority() }

func podHostPaths(spec *corev1.PodSpec) []HostPathUse {
	var out []HostPathUse
	for _, v := range spec.GetVolumes() {
		if v.GetHostPath() == nil {
			continue
		}
		readOnly := true
		for _, cs := range [][]*corev1.Container{spec.GetInitContainers(), spec.GetContainers()} {
			for _, c := range cs {
				for _, m := range c.GetVolumeMounts() {
					if m.GetName() == v.GetName() && !m.GetReadOnly() {
						readOnly = false
					}
				}
			}
		}
		out = append(out, HostPathUse{Path: cleanPath(v.GetHostPath().GetPath()), ReadOnly: readOnly})
	}
	return out
}

// cleanPath drops trailing slashes so that /data and /data/ name the same directory.
func cleanPath(p string) string {
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
}

func podImages(spec *corev1.PodSpec) []string {
	var out []string
	for _, cs := range [][]*corev1.Container{spec.GetInitContainers(), spec.GetContainers()} {
		for _, c := range cs {
			if c.GetImage() != "" {
				out = append(out, NormalizeImage(c.GetImage()))
			}
		}
	}
	return out
}

// NormalizeImage adds the ":latest" tag to an image name that has neither tag nor digest, so
// that "nginx" and "nginx:latest" name the same image, as kube-scheduler's image locality does.
func NormalizeImage(image string) string {
	if strings.Contains(image, "@") {
		return image
	}
	slash := strings.LastIndex(image, "/")
	if !strings.Contains(image[slash+1:], ":") {
		return image + ":latest"
	}
	return image
}
