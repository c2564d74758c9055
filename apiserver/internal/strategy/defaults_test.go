package strategy

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// defaultsCase is one defaulting rule of Kubernetes: an object that leaves the field out, and a
// check of what Default filled in.
type defaultsCase struct {
	rule  string
	s     Strategy
	in    scheme.Object
	check func(r *require.Assertions, obj scheme.Object)
}

// podWith returns a pod of one container c and the given volumes.
func podWith(c *corev1.Container, volumes ...*corev1.Volume) *corev1.Pod {
	return &corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{Containers: []*corev1.Container{c}, Volumes: volumes}}
}

func container0(obj scheme.Object) *corev1.Container {
	return obj.(*corev1.Pod).GetSpec().GetContainers()[0]
}

func volume0(obj scheme.Object) *corev1.Volume {
	return obj.(*corev1.Pod).GetSpec().GetVolumes()[0]
}

func templ(labels map[string]string, spec *corev1.PodSpec) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

// TestKubernetesDefaults has one case per defaulting rule Kubernetes applies to the kinds Keelson
// serves: every SetDefaults_* function of pkg/apis/core/v1, apps/v1 and batch/v1, and the
// +default markers of their types, wherever Keelson's messages have the field. Rules with nothing
// to default in Keelson: LimitRangeItem, PersistentVolume and PodLogOptions (kinds not served),
// EphemeralContainer (set only through a subresource Keelson does not serve), the pod-level
// requests and limits and the image volume pull policy (behind alpha feature gates, off in 1.32),
// and ConfigMap's empty data map (an empty map and no map are the same message).
func TestKubernetesDefaults(t *testing.T) {
	app := func(image string) *corev1.Container { return &corev1.Container{Name: "app", Image: image} }
	cases := []defaultsCase{
		// pkg/apis/core/v1
		{"ResourceList rounds up to thousandths", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i", Resources: &corev1.ResourceRequirements{
				Limits:   map[string]string{"cpu": "0.0001", "memory": "128Mi"},
				Requests: map[string]string{"cpu": "1.0005", "example.com/dev": "-0.0001"},
			}}),
			func(r *require.Assertions, obj scheme.Object) {
				res := container0(obj).GetResources()
				r.Equal(map[string]string{"cpu": "1m", "memory": "128Mi"}, res.GetLimits())
				r.Equal(map[string]string{"cpu": "1001m", "memory": "128Mi", "example.com/dev": "-1m"}, res.GetRequests())
			}},
		{"ResourceList of a quota", resourceQuotaStrategy{},
			&corev1.ResourceQuota{Metadata: meta("q"), Spec: &corev1.ResourceQuotaSpec{Hard: map[string]string{"requests.cpu": "0.0005", "pods": "10"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"requests.cpu": "1m", "pods": "10"}, obj.(*corev1.ResourceQuota).GetSpec().GetHard())
			}},
		{"ResourceList of a node", nodeStrategy{},
			&corev1.Node{Metadata: &metav1.ObjectMeta{Name: "n"}, Status: &corev1.NodeStatus{Capacity: map[string]string{"cpu": "3.9999"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("4", obj.(*corev1.Node).GetStatus().GetCapacity()["cpu"])
				r.Equal("4", obj.(*corev1.Node).GetStatus().GetAllocatable()["cpu"])
			}},
		{"ReplicationController selector from the template", replicationControllerStrategy{},
			&corev1.ReplicationController{Metadata: meta("rc"), Spec: &corev1.ReplicationControllerSpec{Template: templ(map[string]string{"app": "web"}, nil)}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"app": "web"}, obj.(*corev1.ReplicationController).GetSpec().GetSelector())
			}},
		{"ReplicationController labels from the template", replicationControllerStrategy{},
			&corev1.ReplicationController{Metadata: meta("rc"), Spec: &corev1.ReplicationControllerSpec{
				Selector: map[string]string{"app": "web"}, Template: templ(map[string]string{"app": "web", "tier": "front"}, nil)}},
			func(r *require.Assertions, obj scheme.Object) {
				rc := obj.(*corev1.ReplicationController)
				r.Equal(map[string]string{"app": "web", "tier": "front"}, rc.GetMetadata().GetLabels())
				r.Equal(map[string]string{"app": "web"}, rc.GetSpec().GetSelector(), "a given selector is kept")
			}},
		{"ReplicationController keeps its own labels", replicationControllerStrategy{},
			&corev1.ReplicationController{Metadata: &metav1.ObjectMeta{Name: "rc", Labels: map[string]string{"own": "x"}},
				Spec: &corev1.ReplicationControllerSpec{Template: templ(map[string]string{"app": "web"}, nil)}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"own": "x"}, obj.GetMetadata().GetLabels())
			}},
		{"ReplicationController replicas (+default=1)", replicationControllerStrategy{},
			&corev1.ReplicationController{Metadata: meta("rc")},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(1), obj.(*corev1.ReplicationController).GetSpec().GetReplicas())
			}},
		{"Volume without a source is an emptyDir", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "scratch"}),
			func(r *require.Assertions, obj scheme.Object) {
				r.True(proto.Equal(&corev1.Volume{Name: "scratch", EmptyDir: &corev1.EmptyDirVolumeSource{}}, volume0(obj)), "%v", volume0(obj))
			}},
		{"Volume with a source keeps it", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "claim", PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Nil(volume0(obj).GetEmptyDir())
			}},
		{"Container imagePullPolicy Always for latest", podStrategy{}, podWith(app("nginx:latest")),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("Always", container0(obj).GetImagePullPolicy())
			}},
		{"Container imagePullPolicy Always without a tag", podStrategy{}, podWith(app("registry:5000/nginx")),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("Always", container0(obj).GetImagePullPolicy())
			}},
		{"Container imagePullPolicy IfNotPresent for a tag", podStrategy{}, podWith(app("nginx:1.27")),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("IfNotPresent", container0(obj).GetImagePullPolicy())
			}},
		{"Container imagePullPolicy IfNotPresent for a digest", podStrategy{}, podWith(app("nginx@sha256:0123")),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("IfNotPresent", container0(obj).GetImagePullPolicy())
			}},
		{"Container termination message", podStrategy{}, podWith(app("i")),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("/dev/termination-log", container0(obj).GetTerminationMessagePath())
				r.Equal("File", container0(obj).GetTerminationMessagePolicy())
			}},
		{"ContainerPort protocol (+default=TCP)", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i", Ports: []*corev1.ContainerPort{{ContainerPort: 80}}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("TCP", container0(obj).GetPorts()[0].GetProtocol())
			}},
		{"Service type, affinity, protocol, target port, internal traffic policy", serviceStrategy{},
			&corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{Ports: []*corev1.ServicePort{{Port: 80}},
				SessionAffinityConfig: &corev1.SessionAffinityConfig{ClientIp: &corev1.ClientIPConfig{TimeoutSeconds: proto.Int32(5)}}}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*corev1.Service).GetSpec()
				r.Equal("ClusterIP", s.GetType())
				r.Equal("None", s.GetSessionAffinity())
				r.Nil(s.GetSessionAffinityConfig(), "no affinity, no affinity config")
				r.Equal("TCP", s.GetPorts()[0].GetProtocol())
				r.Equal(intOrInt(80).String(), s.GetPorts()[0].GetTargetPort().String())
				r.Equal("Cluster", s.GetInternalTrafficPolicy())
				r.Empty(s.GetExternalTrafficPolicy())
			}},
		{"Service ClientIP affinity timeout", serviceStrategy{},
			&corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{SessionAffinity: "ClientIP"}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(10800), obj.(*corev1.Service).GetSpec().GetSessionAffinityConfig().GetClientIp().GetTimeoutSeconds())
			}},
		{"Service external traffic policy for node ports", serviceStrategy{},
			&corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{Type: "NodePort"}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("Cluster", obj.(*corev1.Service).GetSpec().GetExternalTrafficPolicy())
			}},
		{"Service external traffic policy for external IPs", serviceStrategy{},
			&corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{ExternalIps: []string{"192.0.2.10"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("Cluster", obj.(*corev1.Service).GetSpec().GetExternalTrafficPolicy())
			}},
		{"Service load balancer node ports and ingress ipMode", serviceStrategy{},
			&corev1.Service{Metadata: meta("s"), Spec: &corev1.ServiceSpec{Type: "LoadBalancer"},
				Status: &corev1.ServiceStatus{LoadBalancer: &corev1.LoadBalancerStatus{Ingress: []*corev1.LoadBalancerIngress{{Ip: "192.0.2.1"}, {Hostname: "lb.example.com"}}}}},
			func(r *require.Assertions, obj scheme.Object) {
				svc := obj.(*corev1.Service)
				r.True(svc.GetSpec().GetAllocateLoadBalancerNodePorts())
				ing := svc.GetStatus().GetLoadBalancer().GetIngress()
				r.Equal("VIP", ing[0].GetIpMode())
				r.Nil(ing[1].IpMode, "a hostname has no ipMode")
			}},
		{"Pod requests from limits", podStrategy{},
			&corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{
				InitContainers: []*corev1.Container{{Name: "init", Image: "i", Resources: &corev1.ResourceRequirements{Limits: map[string]string{"memory": "1Gi"}}}},
				Containers: []*corev1.Container{{Name: "app", Image: "i", Resources: &corev1.ResourceRequirements{
					Limits: map[string]string{"cpu": "1", "memory": "1Gi"}, Requests: map[string]string{"cpu": "500m"}}}}}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*corev1.Pod).GetSpec()
				r.Equal(map[string]string{"memory": "1Gi"}, s.GetInitContainers()[0].GetResources().GetRequests())
				r.Equal(map[string]string{"cpu": "500m", "memory": "1Gi"}, s.GetContainers()[0].GetResources().GetRequests())
			}},
		{"Pod enableServiceLinks", podStrategy{}, podWith(app("i")),
			func(r *require.Assertions, obj scheme.Object) {
				r.True(obj.(*corev1.Pod).GetSpec().GetEnableServiceLinks())
			}},
		{"Pod host ports on the host network", podStrategy{},
			&corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{HostNetwork: true, Containers: []*corev1.Container{{Name: "app", Image: "i",
				Ports: []*corev1.ContainerPort{{ContainerPort: 53}}}}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(53), container0(obj).GetPorts()[0].GetHostPort())
			}},
		{"Pod defaults stay out of a template", deploymentStrategy{},
			&appsv1.Deployment{Metadata: meta("d"), Spec: &appsv1.DeploymentSpec{Template: templ(map[string]string{"app": "d"}, &corev1.PodSpec{
				HostNetwork: true,
				Containers: []*corev1.Container{{Name: "app", Image: "i", Ports: []*corev1.ContainerPort{{ContainerPort: 53}},
					Resources: &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1"}}}}})}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*appsv1.Deployment).GetSpec().GetTemplate().GetSpec()
				r.Nil(s.EnableServiceLinks)
				r.Empty(s.GetContainers()[0].GetResources().GetRequests())
				r.Zero(s.GetContainers()[0].GetPorts()[0].GetHostPort())
			}},
		{"PodSpec policies, security context, grace period, scheduler", podStrategy{}, podWith(app("i")),
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*corev1.Pod).GetSpec()
				r.Equal("ClusterFirst", s.GetDnsPolicy())
				r.Equal("Always", s.GetRestartPolicy())
				r.NotNil(s.GetSecurityContext())
				r.Equal(int64(30), s.GetTerminationGracePeriodSeconds())
				r.Equal("default-scheduler", s.GetSchedulerName())
			}},
		{"Probe thresholds and periods", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i", LivenessProbe: &corev1.Probe{Exec: &corev1.ExecAction{Command: []string{"true"}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				p := container0(obj).GetLivenessProbe()
				r.Equal([]int32{1, 10, 1, 3}, []int32{p.GetTimeoutSeconds(), p.GetPeriodSeconds(), p.GetSuccessThreshold(), p.GetFailureThreshold()})
			}},
		{"GRPCAction service (+default=\"\")", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i", ReadinessProbe: &corev1.Probe{Grpc: &corev1.GRPCAction{Port: 9000}}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.NotNil(container0(obj).GetReadinessProbe().GetGrpc().Service)
				r.Empty(container0(obj).GetReadinessProbe().GetGrpc().GetService())
			}},
		{"HTTPGetAction path and scheme in probes and hooks", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i",
				StartupProbe: &corev1.Probe{HttpGet: &corev1.HTTPGetAction{Port: intOrInt(80)}},
				Lifecycle:    &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HttpGet: &corev1.HTTPGetAction{Port: intOrInt(80)}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				for _, h := range []*corev1.HTTPGetAction{container0(obj).GetStartupProbe().GetHttpGet(), container0(obj).GetLifecycle().GetPreStop().GetHttpGet()} {
					r.Equal("/", h.GetPath())
					r.Equal("HTTP", h.GetScheme())
				}
			}},
		{"SecretVolumeSource defaultMode", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", Secret: &corev1.SecretVolumeSource{SecretName: "s"}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(0o644), volume0(obj).GetSecret().GetDefaultMode())
			}},
		{"ConfigMapVolumeSource defaultMode", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", ConfigMap: &corev1.ConfigMapVolumeSource{Name: "c"}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(0o644), volume0(obj).GetConfigMap().GetDefaultMode())
			}},
		{"DownwardAPIVolumeSource defaultMode and ObjectFieldSelector apiVersion", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", DownwardApi: &corev1.DownwardAPIVolumeSource{Items: []*corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				d := volume0(obj).GetDownwardApi()
				r.Equal(int32(0o644), d.GetDefaultMode())
				r.Equal("v1", d.GetItems()[0].GetFieldRef().GetApiVersion())
			}},
		{"ProjectedVolumeSource defaultMode and ServiceAccountTokenProjection expiry", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", Projected: &corev1.ProjectedVolumeSource{Sources: []*corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				{DownwardApi: &corev1.DownwardAPIProjection{Items: []*corev1.DownwardAPIVolumeFile{{Path: "n", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				p := volume0(obj).GetProjected()
				r.Equal(int32(0o644), p.GetDefaultMode())
				r.Equal(int64(3600), p.GetSources()[0].GetServiceAccountToken().GetExpirationSeconds())
				r.Equal("v1", p.GetSources()[1].GetDownwardApi().GetItems()[0].GetFieldRef().GetApiVersion())
			}},
		{"HostPathVolumeSource type", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.NotNil(volume0(obj).GetHostPath().Type)
				r.Empty(volume0(obj).GetHostPath().GetType())
			}},
		{"RBD pool, user and keyring (+default)", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", Rbd: &corev1.RBDVolumeSource{Monitors: []string{"127.0.0.1:6789"}, Image: "foo"}}),
			func(r *require.Assertions, obj scheme.Object) {
				rbd := volume0(obj).GetRbd()
				r.Equal([]string{"rbd", "admin", "/etc/ceph/keyring"}, []string{rbd.GetPool(), rbd.GetUser(), rbd.GetKeyring()})
			}},
		{"ISCSI interface (+default)", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", Iscsi: &corev1.ISCSIVolumeSource{TargetPortal: "127.0.2.15:3260", Iqn: "iqn.2001-04.com.example:x"}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("default", volume0(obj).GetIscsi().GetIscsiInterface())
			}},
		{"AzureDisk caching, fsType, readOnly and kind (+default)", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", AzureDisk: &corev1.AzureDiskVolumeSource{DiskName: "d", DiskUri: "https://a/d.vhd"}}),
			func(r *require.Assertions, obj scheme.Object) {
				d := volume0(obj).GetAzureDisk()
				r.Equal([]string{"ReadWrite", "ext4", "Shared"}, []string{d.GetCachingMode(), d.GetFsType(), d.GetKind()})
				r.NotNil(d.ReadOnly)
				r.False(d.GetReadOnly())
			}},
		{"ScaleIO storage mode and fsType (+default)", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", ScaleIo: &corev1.ScaleIOVolumeSource{Gateway: "g", System: "s", SecretRef: &corev1.LocalObjectReference{Name: "x"}}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("ThinProvisioned", volume0(obj).GetScaleIo().GetStorageMode())
				r.Equal("xfs", volume0(obj).GetScaleIo().GetFsType())
			}},
		{"PersistentVolumeClaimSpec volumeMode in an ephemeral volume", podStrategy{},
			podWith(app("i"), &corev1.Volume{Name: "v", Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
				Spec: &corev1.PersistentVolumeClaimSpec{Resources: &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": "0.0001"}}}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				spec := volume0(obj).GetEphemeral().GetVolumeClaimTemplate().GetSpec()
				r.Equal("Filesystem", spec.GetVolumeMode())
				r.Equal("1m", spec.GetResources().GetRequests()["storage"])
			}},
		{"ResourceList of pod-level resources", podStrategy{},
			&corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{Containers: []*corev1.Container{app("i")},
				Resources: &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1.00001"}}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("1001m", obj.(*corev1.Pod).GetSpec().GetResources().GetLimits()["cpu"])
			}},
		{"ObjectFieldSelector apiVersion in env", podStrategy{},
			podWith(&corev1.Container{Name: "app", Image: "i", Env: []*corev1.EnvVar{{Name: "N",
				ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}),
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("v1", container0(obj).GetEnv()[0].GetValueFrom().GetFieldRef().GetApiVersion())
			}},
		{"Secret type", secretStrategy{}, &corev1.Secret{Metadata: meta("s")},
			func(r *require.Assertions, obj scheme.Object) { r.Equal("Opaque", obj.(*corev1.Secret).GetType()) }},
		{"Endpoints port protocol", endpointsStrategy{},
			&corev1.Endpoints{Metadata: meta("e"), Subsets: []*corev1.EndpointSubset{{Ports: []*corev1.EndpointPort{{Port: 80}}}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("TCP", obj.(*corev1.Endpoints).GetSubsets()[0].GetPorts()[0].GetProtocol())
			}},
		{"Namespace name label", namespaceStrategy{}, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team", Labels: map[string]string{"a": "b"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"a": "b", "kubernetes.io/metadata.name": "team"}, obj.GetMetadata().GetLabels())
			}},
		{"NamespaceStatus phase", namespaceStrategy{}, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team"}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("Active", obj.(*corev1.Namespace).GetStatus().GetPhase())
			}},
		{"NodeStatus allocatable from capacity", nodeStrategy{},
			&corev1.Node{Metadata: &metav1.ObjectMeta{Name: "n"}, Status: &corev1.NodeStatus{Capacity: map[string]string{"cpu": "4", "pods": "110"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"cpu": "4", "pods": "110"}, obj.(*corev1.Node).GetStatus().GetAllocatable())
			}},

		// pkg/apis/apps/v1
		{"Deployment replicas, rolling update, history, progress deadline", deploymentStrategy{},
			&appsv1.Deployment{Metadata: meta("d")},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*appsv1.Deployment).GetSpec()
				r.Equal(int32(1), s.GetReplicas())
				r.Equal("RollingUpdate", s.GetStrategy().GetType())
				r.Equal("25%", s.GetStrategy().GetRollingUpdate().GetMaxUnavailable().GetStrVal())
				r.Equal("25%", s.GetStrategy().GetRollingUpdate().GetMaxSurge().GetStrVal())
				r.Equal(int32(10), s.GetRevisionHistoryLimit())
				r.Equal(int32(600), s.GetProgressDeadlineSeconds())
			}},
		{"Deployment Recreate has no rolling update", deploymentStrategy{},
			&appsv1.Deployment{Metadata: meta("d"), Spec: &appsv1.DeploymentSpec{Strategy: &appsv1.DeploymentStrategy{Type: "Recreate"}}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Nil(obj.(*appsv1.Deployment).GetSpec().GetStrategy().GetRollingUpdate())
			}},
		{"DaemonSet rolling update and history", daemonSetStrategy{},
			&appsv1.DaemonSet{Metadata: meta("ds")},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*appsv1.DaemonSet).GetSpec()
				r.Equal("RollingUpdate", s.GetUpdateStrategy().GetType())
				r.Equal(intOrInt(1).String(), s.GetUpdateStrategy().GetRollingUpdate().GetMaxUnavailable().String())
				r.Equal(intOrInt(0).String(), s.GetUpdateStrategy().GetRollingUpdate().GetMaxSurge().String())
				r.Equal(int32(10), s.GetRevisionHistoryLimit())
			}},
		{"StatefulSet policies, partition, retention, replicas, history", statefulSetStrategy{},
			&appsv1.StatefulSet{Metadata: meta("ss")},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*appsv1.StatefulSet).GetSpec()
				r.Equal("OrderedReady", s.GetPodManagementPolicy())
				r.Equal("RollingUpdate", s.GetUpdateStrategy().GetType())
				r.NotNil(s.GetUpdateStrategy().GetRollingUpdate().Partition)
				r.Zero(s.GetUpdateStrategy().GetRollingUpdate().GetPartition())
				r.Equal("Retain", s.GetPersistentVolumeClaimRetentionPolicy().GetWhenDeleted())
				r.Equal("Retain", s.GetPersistentVolumeClaimRetentionPolicy().GetWhenScaled())
				r.Equal(int32(1), s.GetReplicas())
				r.Equal(int32(10), s.GetRevisionHistoryLimit())
			}},
		{"StatefulSet claim templates: type, PersistentVolumeClaimSpec and PersistentVolumeClaim status", statefulSetStrategy{},
			&appsv1.StatefulSet{Metadata: meta("ss"), Spec: &appsv1.StatefulSetSpec{VolumeClaimTemplates: []*corev1.PersistentVolumeClaim{{
				Metadata: &metav1.ObjectMeta{Name: "www"},
				Spec:     &corev1.PersistentVolumeClaimSpec{AccessModes: []string{"ReadWriteOnce"}, VolumeMode: proto.String("Block")},
			}}}},
			func(r *require.Assertions, obj scheme.Object) {
				c := obj.(*appsv1.StatefulSet).GetSpec().GetVolumeClaimTemplates()[0]
				r.Equal("v1", c.GetApiVersion())
				r.Equal("PersistentVolumeClaim", c.GetKind())
				r.Equal("Block", c.GetSpec().GetVolumeMode(), "a given volume mode is kept")
				r.Equal("Pending", c.GetStatus().GetPhase())
			}},
		{"ReplicaSet replicas", replicaSetStrategy{}, &appsv1.ReplicaSet{Metadata: meta("rs")},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(1), obj.(*appsv1.ReplicaSet).GetSpec().GetReplicas())
			}},
		{"Workload templates get pod spec and volume defaults", statefulSetStrategy{},
			&appsv1.StatefulSet{Metadata: meta("ss"), Spec: &appsv1.StatefulSetSpec{Template: templ(nil, &corev1.PodSpec{
				Containers: []*corev1.Container{app("i")}, Volumes: []*corev1.Volume{{Name: "scratch"}}})}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*appsv1.StatefulSet).GetSpec().GetTemplate().GetSpec()
				r.Equal("Always", s.GetRestartPolicy())
				r.NotNil(s.GetVolumes()[0].GetEmptyDir())
			}},

		// pkg/apis/batch/v1
		{"Job completions and parallelism", jobStrategy{}, &batchv1.Job{Metadata: meta("j")},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*batchv1.Job).GetSpec()
				r.Equal(int32(1), s.GetCompletions())
				r.Equal(int32(1), s.GetParallelism())
			}},
		{"Job parallelism alone", jobStrategy{}, &batchv1.Job{Metadata: meta("j"), Spec: &batchv1.JobSpec{Completions: proto.Int32(5)}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*batchv1.Job).GetSpec()
				r.Equal(int32(5), s.GetCompletions())
				r.Equal(int32(1), s.GetParallelism())
			}},
		{"Job backoffLimit", jobStrategy{}, &batchv1.Job{Metadata: meta("j")},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(6), obj.(*batchv1.Job).GetSpec().GetBackoffLimit())
			}},
		{"Job backoffLimit with a limit per index", jobStrategy{},
			&batchv1.Job{Metadata: meta("j"), Spec: &batchv1.JobSpec{CompletionMode: proto.String("Indexed"), Completions: proto.Int32(3), BackoffLimitPerIndex: proto.Int32(1)}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(int32(math.MaxInt32), obj.(*batchv1.Job).GetSpec().GetBackoffLimit())
			}},
		{"Job labels from the template", jobStrategy{},
			&batchv1.Job{Metadata: meta("j"), Spec: &batchv1.JobSpec{Template: templ(map[string]string{"app": "pi"}, nil)}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"app": "pi"}, obj.GetMetadata().GetLabels())
			}},
		{"Job labels from the generated template labels", jobStrategy{},
			&batchv1.Job{Metadata: meta("j")},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{
					"batch.kubernetes.io/controller-uid": "uid-j", "controller-uid": "uid-j",
					"batch.kubernetes.io/job-name": "j", "job-name": "j",
				}, obj.GetMetadata().GetLabels())
			}},
		{"Job keeps its own labels", jobStrategy{},
			&batchv1.Job{Metadata: &metav1.ObjectMeta{Name: "j", Uid: "u", Labels: map[string]string{"own": "x"}}, Spec: &batchv1.JobSpec{Template: templ(map[string]string{"app": "pi"}, nil)}},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal(map[string]string{"own": "x"}, obj.GetMetadata().GetLabels())
			}},
		{"Job completion mode and suspend", jobStrategy{}, &batchv1.Job{Metadata: meta("j")},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*batchv1.Job).GetSpec()
				r.Equal("NonIndexed", s.GetCompletionMode())
				r.NotNil(s.Suspend)
				r.False(s.GetSuspend())
			}},
		{"Job pod failure policy condition status and replacement policy", jobStrategy{},
			&batchv1.Job{Metadata: meta("j"), Spec: &batchv1.JobSpec{PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []*batchv1.PodFailurePolicyRule{
				{Action: "Ignore", OnPodConditions: []*batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: "DisruptionTarget"}, {Type: "Custom", Status: "False"}}}}}}},
			func(r *require.Assertions, obj scheme.Object) {
				s := obj.(*batchv1.Job).GetSpec()
				pats := s.GetPodFailurePolicy().GetRules()[0].GetOnPodConditions()
				r.Equal("True", pats[0].GetStatus())
				r.Equal("False", pats[1].GetStatus())
				r.Equal("Failed", s.GetPodReplacementPolicy())
			}},
		{"Job replacement policy without a failure policy", jobStrategy{}, &batchv1.Job{Metadata: meta("j")},
			func(r *require.Assertions, obj scheme.Object) {
				r.Equal("TerminatingOrFailed", obj.(*batchv1.Job).GetSpec().GetPodReplacementPolicy())
			}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			c.s.Default(c.in)
			c.check(require.New(t), c.in)
		})
	}
}
