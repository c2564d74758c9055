package strategy

import (
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/resource"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Kubernetes' pod defaults.
const (
	defaultSchedulerName          = "default-scheduler"
	defaultTerminationGracePeriod = 30
	defaultTerminationMessagePath = "/dev/termination-log"
	// defaultVolumeMode is 0644, the mode of files in configMap, secret, downwardAPI and projected
	// volumes.
	defaultVolumeMode = 0o644
)

// defaultPodOnly applies the defaults Kubernetes gives a pod but not a workload's pod template
// (its SetDefaults_Pod): requests from limits, enableServiceLinks true and, on the host's network,
// host ports equal to the container ports. A template's pods get them when they are created.
func defaultPodOnly(spec *corev1.PodSpec) {
	if spec.EnableServiceLinks == nil {
		spec.EnableServiceLinks = proto.Bool(true)
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		// A resource with a limit and no request is requested at its limit.
		if r := c.Resources; r != nil && len(r.Limits) > 0 {
			if r.Requests == nil {
				r.Requests = make(map[string]string, len(r.Limits))
			}
			for name, limit := range r.Limits {
				if _, ok := r.Requests[name]; !ok {
					r.Requests[name] = limit
				}
			}
		}
		if spec.HostNetwork {
			for _, p := range c.Ports {
				if p.HostPort == 0 {
					p.HostPort = p.ContainerPort
				}
			}
		}
	}
}

// defaultPodSpec applies Kubernetes' pod spec defaulting to spec, in place. Pods and every
// workload's pod template share it; defaultPodOnly adds what only pods get.
func defaultPodSpec(spec *corev1.PodSpec) {
	setString(&spec.RestartPolicy, "Always")
	setString(&spec.DnsPolicy, "ClusterFirst")
	setString(&spec.SchedulerName, defaultSchedulerName)
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = proto.Int64(defaultTerminationGracePeriod)
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	// serviceAccount is the deprecated alias of serviceAccountName; Kubernetes keeps both in step.
	if spec.ServiceAccountName == "" {
		spec.ServiceAccountName = spec.ServiceAccount
	}
	if spec.ServiceAccount == "" {
		spec.ServiceAccount = spec.ServiceAccountName
	}
	roundResourceList(spec.Overhead)
	roundResourceList(spec.GetResources().GetLimits())
	roundResourceList(spec.GetResources().GetRequests())
	for _, c := range spec.InitContainers {
		defaultContainer(c)
	}
	for _, c := range spec.Containers {
		defaultContainer(c)
	}
	for _, c := range spec.EphemeralContainers {
		roundResourceList(c.GetResources().GetLimits())
		roundResourceList(c.GetResources().GetRequests())
	}
	for _, v := range spec.Volumes {
		defaultVolume(v)
	}
}

func defaultContainer(c *corev1.Container) {
	setString(&c.TerminationMessagePath, defaultTerminationMessagePath)
	setString(&c.TerminationMessagePolicy, "File")
	setString(&c.ImagePullPolicy, pullPolicyFor(c.Image))
	for _, p := range c.Ports {
		setString(&p.Protocol, "TCP")
	}
	for _, e := range c.Env {
		if fr := e.GetValueFrom().GetFieldRef(); fr != nil {
			setString(&fr.ApiVersion, "v1")
		}
	}
	if r := c.Resources; r != nil {
		roundResourceList(r.Limits)
		roundResourceList(r.Requests)
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
	if lc := c.Lifecycle; lc != nil {
		defaultHTTPGet(lc.GetPostStart().GetHttpGet())
		defaultHTTPGet(lc.GetPreStop().GetHttpGet())
	}
}

// pullPolicyFor returns Always for an image with no tag or the tag latest, else IfNotPresent, as
// Kubernetes does. An image pinned by digest is IfNotPresent.
func pullPolicyFor(image string) string {
	if strings.Contains(image, "@") {
		return "IfNotPresent"
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	if i < 0 || name[i+1:] == "latest" {
		return "Always"
	}
	return "IfNotPresent"
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	setInt32(&p.TimeoutSeconds, 1)
	setInt32(&p.PeriodSeconds, 10)
	setInt32(&p.SuccessThreshold, 1)
	setInt32(&p.FailureThreshold, 3)
	defaultHTTPGet(p.HttpGet)
	if g := p.Grpc; g != nil && g.Service == nil {
		g.Service = proto.String("")
	}
}

func defaultHTTPGet(h *corev1.HTTPGetAction) {
	if h == nil {
		return
	}
	setString(&h.Path, "/")
	setString(&h.Scheme, "HTTP")
}

// defaultVolume gives a volume that names no source an emptyDir, as Kubernetes does, and fills in
// its source's defaults.
func defaultVolume(v *corev1.Volume) {
	if !hasVolumeSource(v) {
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if v.EmptyDir != nil {
		canonicalQuantity(v.EmptyDir.SizeLimit)
	}
	switch {
	case v.ConfigMap != nil:
		setMode(&v.ConfigMap.DefaultMode)
	case v.Secret != nil:
		setMode(&v.Secret.DefaultMode)
	case v.DownwardApi != nil:
		setMode(&v.DownwardApi.DefaultMode)
		for _, item := range v.DownwardApi.Items {
			if item.FieldRef != nil {
				setString(&item.FieldRef.ApiVersion, "v1")
			}
		}
	case v.Projected != nil:
		setMode(&v.Projected.DefaultMode)
		for _, src := range v.Projected.Sources {
			if t := src.ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
				t.ExpirationSeconds = proto.Int64(3600)
			}
			for _, item := range src.GetDownwardApi().GetItems() {
				if item.FieldRef != nil {
					setString(&item.FieldRef.ApiVersion, "v1")
				}
			}
		}
	case v.HostPath != nil:
		if v.HostPath.Type == nil {
			v.HostPath.Type = proto.String("")
		}
	case v.Rbd != nil:
		setString(&v.Rbd.Pool, "rbd")
		setString(&v.Rbd.User, "admin")
		setString(&v.Rbd.Keyring, "/etc/ceph/keyring")
	case v.Iscsi != nil:
		setString(&v.Iscsi.IscsiInterface, "default")
	case v.AzureDisk != nil:
		d := v.AzureDisk
		setOptional(&d.CachingMode, "ReadWrite")
		setOptional(&d.FsType, "ext4")
		setOptional(&d.Kind, "Shared")
		if d.ReadOnly == nil {
			d.ReadOnly = proto.Bool(false)
		}
	case v.ScaleIo != nil:
		setString(&v.ScaleIo.StorageMode, "ThinProvisioned")
		setString(&v.ScaleIo.FsType, "xfs")
	case v.Ephemeral != nil:
		if t := v.Ephemeral.VolumeClaimTemplate; t != nil {
			defaultClaimSpec(t.Spec)
		}
	}
}

// defaultClaimSpec applies Kubernetes' claim spec defaults: volumeMode Filesystem and resource
// lists rounded to thousandths.
func defaultClaimSpec(spec *corev1.PersistentVolumeClaimSpec) {
	if spec == nil {
		return
	}
	setOptional(&spec.VolumeMode, "Filesystem")
	roundResourceList(spec.GetResources().GetLimits())
	roundResourceList(spec.GetResources().GetRequests())
}

// hasVolumeSource reports whether v sets any field but its name: every other field of a Volume is
// a volume source.
func hasVolumeSource(v *corev1.Volume) bool {
	found := false
	v.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		found = fd.Name() != "name"
		return !found
	})
	return found
}

// roundResourceList rounds every quantity of l up to a whole number of thousandths (away from
// zero), as Kubernetes does: "0.0001" becomes "1m", and stores it in its canonical form, as
// Kubernetes stores every quantity: "1000m" becomes "1", "2048Ki" "2Mi". So an object reads the
// same over gRPC, which serves what is stored, and REST, which writes Kubernetes' form. Quantities
// that do not parse are kept, for validation to name.
func roundResourceList(l map[string]string) {
	for name, s := range l {
		q, err := resource.Parse(s)
		if err != nil {
			continue
		}
		// Beyond ±MaxInt64 thousandths a fraction below a thousandth does not matter.
		if milli := q.MilliValue(); milli != math.MaxInt64 && milli != math.MinInt64 {
			if r := resource.NewMilliQuantity(milli, q.Format); !r.Equal(q) {
				q = r
			}
		}
		if c := q.String(); c != s {
			l[name] = c
		}
	}
}

// canonicalQuantity stores the quantity *s in its canonical form (see roundResourceList), without
// rounding, as Kubernetes stores a single quantity such as an emptyDir's sizeLimit. An empty or
// malformed one is kept.
func canonicalQuantity(s *string) {
	if s == nil || *s == "" {
		return
	}
	if q, err := resource.Parse(*s); err == nil {
		if c := q.String(); c != *s {
			*s = c
		}
	}
}

// roundStatusResources rounds the resource lists of container statuses, as roundResourceList.
func roundStatusResources(lists ...[]*corev1.ContainerStatus) {
	for _, cs := range lists {
		for _, c := range cs {
			roundResourceList(c.GetAllocatedResources())
			roundResourceList(c.GetResources().GetLimits())
			roundResourceList(c.GetResources().GetRequests())
		}
	}
}

func setMode(m **int32) {
	if *m == nil {
		*m = proto.Int32(defaultVolumeMode)
	}
}

// setOptional sets an unset optional string to v.
func setOptional(s **string, v string) {
	if *s == nil {
		*s = proto.String(v)
	}
}

func setString(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setInt32(n *int32, v int32) {
	if *n == 0 {
		*n = v
	}
}

// intOrPercent returns an IntOrString holding the string s, such as "25%".
func intOrPercent(s string) *metav1.IntOrString {
	return &metav1.IntOrString{Type: intOrStringString, StrVal: s}
}

// intOrInt returns an IntOrString holding the integer n.
func intOrInt(n int32) *metav1.IntOrString {
	return &metav1.IntOrString{Type: intOrStringInt, IntVal: n}
}

// The values of IntOrString.type.
const (
	intOrStringInt    = 0
	intOrStringString = 1
)
