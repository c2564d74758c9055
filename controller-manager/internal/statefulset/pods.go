package statefulset

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// The labels a stateful set's pods carry besides their template's, as Kubernetes sets them.
const (
	PodNameLabel  = "statefulset.kubernetes.io/pod-name"
	PodIndexLabel = "apps.kubernetes.io/pod-index"
	RevisionLabel = "controller-revision-hash"
)

// podName is the name of the set's pod at ordinal.
func podName(set *appsv1.StatefulSet, ordinal int) string {
	return set.GetMetadata().GetName() + "-" + strconv.Itoa(ordinal)
}

// parseName splits a pod name "<parent>-<ordinal>"; ok is false when it has no such form.
func parseName(name string) (parent string, ordinal int, ok bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != name[i+1:] {
		return "", 0, false
	}
	return name[:i], n, true
}

// ordinalOf returns the ordinal of set's pod, or -1 when the pod is not named as one of set's.
func ordinalOf(set *appsv1.StatefulSet, pod *corev1.Pod) int {
	parent, n, ok := parseName(pod.GetMetadata().GetName())
	if !ok || parent != set.GetMetadata().GetName() {
		return -1
	}
	return n
}

// claimPods returns the pods set controls among those named as its members, after podclaim has
// adopted the matching orphans and released the controlled pods that stopped matching.
// Terminated and terminating pods are returned too: the sync replaces or waits for them. Before
// adopting, it checks that the set the API holds is the cached one and not being deleted.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, sel labels.Selector) ([]*corev1.Pod, error) {
	var members []*corev1.Pod
	orphans := false
	for _, pod := range c.pods.Lister().ListNamespace(set.GetMetadata().GetNamespace()) {
		if ordinalOf(set, pod) < 0 {
			continue
		}
		members = append(members, pod)
		if controllerRef(pod.GetMetadata()) == nil && sel.Matches(labels.Set(pod.GetMetadata().GetLabels())) {
			orphans = true
		}
	}
	if orphans && set.GetMetadata().GetDeletionTimestamp() == nil {
		fresh, err := c.client.StatefulSets(set.GetMetadata().GetNamespace()).Get(ctx, set.GetMetadata().GetName())
		if err != nil {
			return nil, fmt.Errorf("read stateful set %s before adopting: %w", scheme.Key(set), err)
		}
		if fresh.GetMetadata().GetUid() != set.GetMetadata().GetUid() || fresh.GetMetadata().GetDeletionTimestamp() != nil {
			return nil, fmt.Errorf("stateful set %s was recreated or is being deleted: not adopting", scheme.Key(set))
		}
	}
	return podclaim.Claim(ctx, c.client, set, ownerReference(set), sel, members)
}

// newPod returns set's pod at ordinal from template, labelled with revision.
func newPod(set *appsv1.StatefulSet, template *corev1.PodTemplateSpec, ordinal int, revision string) *corev1.Pod {
	name := podName(set, ordinal)
	tm := template.GetMetadata()
	spec := template.GetSpec().CloneVT()
	if spec == nil {
		spec = &corev1.PodSpec{}
	}
	l := maps.Clone(tm.GetLabels())
	if l == nil {
		l = map[string]string{}
	}
	l[PodNameLabel] = name
	l[PodIndexLabel] = strconv.Itoa(ordinal)
	l[RevisionLabel] = revision
	pod := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			Name: name, Namespace: set.GetMetadata().GetNamespace(), Labels: l,
			Annotations:     maps.Clone(tm.GetAnnotations()),
			Finalizers:      slices.Clone(tm.GetFinalizers()),
			OwnerReferences: []*metav1.OwnerReference{ownerReference(set)},
		},
		Spec: spec,
	}
	setIdentity(set, pod)
	setClaims(set, pod)
	return pod
}

// hasIdentity reports whether pod carries the name labels, hostname and subdomain of its
// ordinal in set.
func hasIdentity(set *appsv1.StatefulSet, pod *corev1.Pod, ordinal int) bool {
	l := pod.GetMetadata().GetLabels()
	return l[PodNameLabel] == pod.GetMetadata().GetName() && l[PodIndexLabel] == strconv.Itoa(ordinal) &&
		pod.GetSpec().GetHostname() == pod.GetMetadata().GetName() && pod.GetSpec().GetSubdomain() == set.GetSpec().GetServiceName()
}

// setIdentity gives pod its stable network identity: hostname = its name, subdomain = the set's
// governing service, and the name and index labels.
func setIdentity(set *appsv1.StatefulSet, pod *corev1.Pod) {
	name := pod.GetMetadata().GetName()
	if pod.Metadata.Labels == nil {
		pod.Metadata.Labels = map[string]string{}
	}
	pod.Metadata.Labels[PodNameLabel] = name
	if _, n, ok := parseName(name); ok {
		pod.Metadata.Labels[PodIndexLabel] = strconv.Itoa(n)
	}
	pod.Spec.Hostname = name
	pod.Spec.Subdomain = set.GetSpec().GetServiceName()
}

// setClaims points the pod's volumes named after the set's claim templates at the pod's own
// claims, <template>-<pod>, as Kubernetes does.
func setClaims(set *appsv1.StatefulSet, pod *corev1.Pod) {
	for _, tmpl := range set.GetSpec().GetVolumeClaimTemplates() {
		claim := tmpl.GetMetadata().GetName() + "-" + pod.GetMetadata().GetName()
		vol := &corev1.Volume{Name: tmpl.GetMetadata().GetName(),
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}
		replaced := false
		for i, v := range pod.Spec.Volumes {
			if v.GetName() == vol.Name {
				pod.Spec.Volumes[i], replaced = vol, true
			}
		}
		if !replaced {
			pod.Spec.Volumes = append(pod.Spec.Volumes, vol)
		}
	}
}

// isTerminating reports whether pod is being deleted.
func isTerminating(pod *corev1.Pod) bool { return pod.GetMetadata().GetDeletionTimestamp() != nil }

// isFinished reports whether pod has terminated and must be replaced.
func isFinished(pod *corev1.Pod) bool {
	ph := pod.GetStatus().GetPhase()
	return ph == "Failed" || ph == "Succeeded"
}

// readyAt returns when pod became Ready, if it is Running and Ready now.
func readyAt(pod *corev1.Pod) (time.Time, bool) {
	if pod.GetStatus().GetPhase() != "Running" {
		return time.Time{}, false
	}
	for _, cond := range pod.GetStatus().GetConditions() {
		if cond.GetType() == "Ready" {
			return cond.GetLastTransitionTime().AsTime(), cond.GetStatus() == "True"
		}
	}
	return time.Time{}, false
}

// isHealthy reports whether pod is Running and Ready and not terminating: the condition the
// OrderedReady policy waits for before it moves to the next ordinal.
func isHealthy(pod *corev1.Pod) bool {
	_, ok := readyAt(pod)
	return ok && !isTerminating(pod)
}

// isAvailable reports whether pod has been Ready for minReady at now.
func isAvailable(pod *corev1.Pod, minReady time.Duration, now time.Time) bool {
	at, ok := readyAt(pod)
	return ok && (minReady == 0 || !at.Add(minReady).After(now))
}
