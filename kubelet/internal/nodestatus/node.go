package nodestatus

import (
	"context"
	"maps"
	"runtime"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Well-known node labels the kubelet sets, as Kubernetes names them.
const (
	LabelHostname = "kubernetes.io/hostname"
	LabelOS       = "kubernetes.io/os"
	LabelArch     = "kubernetes.io/arch"
)

// NodeClient is what Reporter needs of the API; *client.Resource[*corev1.Node] implements it.
type NodeClient interface {
	Get(ctx context.Context, name string, opts ...client.GetOptions) (*corev1.Node, error)
	Create(ctx context.Context, obj *corev1.Node, opts ...client.CreateOptions) (*corev1.Node, error)
	Update(ctx context.Context, obj *corev1.Node, opts ...client.UpdateOptions) (*corev1.Node, error)
	UpdateStatus(ctx context.Context, obj *corev1.Node, opts ...client.UpdateOptions) (*corev1.Node, error)
}

// Versioner names the container runtime; every cri.Runtime is one.
type Versioner interface {
	Version(ctx context.Context) (cri.VersionInfo, error)
}

// DefaultLabels returns the labels a node always carries: its host name, OS and architecture.
func DefaultLabels(hostname string) map[string]string {
	return map[string]string{LabelHostname: hostname, LabelOS: runtime.GOOS, LabelArch: runtime.GOARCH}
}

// initialNode returns the Node a kubelet registers: its labels (the extra ones, then the default
// ones, which win), its taints, and no status (the status loop posts it).
func initialNode(name, hostname string, labels map[string]string, taints []*corev1.Taint) *corev1.Node {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, DefaultLabels(hostname))
	return &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: name, Labels: l},
		Spec:     &corev1.NodeSpec{Taints: taints},
	}
}

// adopt reconciles an existing Node with the kubelet, as Kubernetes' updateDefaultLabels does: it
// sets the default labels (host name, OS, architecture) where they are missing or differ and
// reports whether existing needs an update. Other labels and the taints are left as they are: once
// registered, they belong to the cluster's administrators and controllers.
func adopt(existing *corev1.Node, hostname string) bool {
	if existing.Metadata == nil {
		existing.Metadata = &metav1.ObjectMeta{}
	}
	if existing.Metadata.Labels == nil {
		existing.Metadata.Labels = map[string]string{}
	}
	changed := false
	for k, v := range DefaultLabels(hostname) {
		if existing.Metadata.Labels[k] != v {
			existing.Metadata.Labels[k] = v
			changed = true
		}
	}
	return changed
}
