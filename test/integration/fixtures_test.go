package integration

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func ptr[T any](v T) *T { return &v }

func meta(name string, labels map[string]string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: name, Labels: labels}
}

func podSpec(image string) *corev1.PodSpec {
	return &corev1.PodSpec{Containers: []*corev1.Container{{
		Name:  "app",
		Image: image,
		Ports: []*corev1.ContainerPort{{ContainerPort: 8080}},
		Resources: &corev1.ResourceRequirements{
			Requests: map[string]string{"cpu": "100m", "memory": "64Mi"},
			Limits:   map[string]string{"cpu": "500m", "memory": "128Mi"},
		},
	}}}
}

func template(labels map[string]string, restart string) *corev1.PodTemplateSpec {
	spec := podSpec("busybox:1.36")
	spec.RestartPolicy = restart
	return &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func selector(labels map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: labels}
}

// kindFixture describes, for one kind, a valid object, a change to its spec, a change to its
// status (nil when the kind has no status subresource) and an object with at least two bad fields.
type kindFixture[T scheme.Object] struct {
	valid     func(name string) T
	spec      func(T)
	status    func(T)
	invalid   func(name string) T
	badFields []string
}

var appLabels = map[string]string{"app": "web"}

func podFixture() kindFixture[*corev1.Pod] {
	return kindFixture[*corev1.Pod]{
		valid: func(n string) *corev1.Pod {
			return &corev1.Pod{Metadata: meta(n, appLabels), Spec: podSpec("nginx:1.27")}
		},
		spec:   func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.28" },
		status: func(p *corev1.Pod) { p.Status = &corev1.PodStatus{Phase: "Running", PodIp: "10.244.0.5"} },
		invalid: func(n string) *corev1.Pod {
			p := &corev1.Pod{Metadata: meta(n, appLabels), Spec: podSpec("")}
			p.Spec.RestartPolicy = "Sometimes"
			return p
		},
		badFields: []string{"spec.containers[0].image", "spec.restartPolicy"},
	}
}

func nodeFixture() kindFixture[*corev1.Node] {
	return kindFixture[*corev1.Node]{
		valid: func(n string) *corev1.Node {
			return &corev1.Node{Metadata: meta(n, map[string]string{"kubernetes.io/hostname": n}), Spec: &corev1.NodeSpec{PodCidr: "10.244.1.0/24"}}
		},
		spec: func(o *corev1.Node) { o.Spec.Unschedulable = true },
		status: func(o *corev1.Node) {
			o.Status = &corev1.NodeStatus{
				Capacity:   map[string]string{"cpu": "4", "memory": "8Gi", "pods": "110"},
				Conditions: []*corev1.NodeCondition{{Type: "Ready", Status: "True", LastHeartbeatTime: timestamppb.Now()}},
			}
		},
		invalid: func(n string) *corev1.Node {
			return &corev1.Node{Metadata: meta(n, nil), Spec: &corev1.NodeSpec{
				PodCidr: "not-a-cidr",
				Taints:  []*corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: "Sometimes"}},
			}}
		},
		badFields: []string{"spec.podCIDRs[0]", "spec.taints[0].effect"},
	}
}

func serviceFixture() kindFixture[*corev1.Service] {
	return kindFixture[*corev1.Service]{
		valid: func(n string) *corev1.Service {
			return &corev1.Service{Metadata: meta(n, appLabels), Spec: &corev1.ServiceSpec{
				Selector: appLabels,
				Ports:    []*corev1.ServicePort{{Name: "http", Port: 80, TargetPort: &metav1.IntOrString{IntVal: 8080}}},
			}}
		},
		spec:   func(o *corev1.Service) { o.Spec.Ports[0].Port = 81 },
		status: func(o *corev1.Service) { o.Status = &corev1.ServiceStatus{} },
		invalid: func(n string) *corev1.Service {
			return &corev1.Service{Metadata: meta(n, nil), Spec: &corev1.ServiceSpec{
				Type:  "Bogus",
				Ports: []*corev1.ServicePort{{Name: "http", Port: 70000}},
			}}
		},
		badFields: []string{"spec.type", "spec.ports[0].port"},
	}
}

func endpointsFixture() kindFixture[*corev1.Endpoints] {
	return kindFixture[*corev1.Endpoints]{
		valid: func(n string) *corev1.Endpoints {
			return &corev1.Endpoints{Metadata: meta(n, nil), Subsets: []*corev1.EndpointSubset{{
				Addresses: []*corev1.EndpointAddress{{Ip: "10.244.0.5"}},
				Ports:     []*corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: "TCP"}},
			}}}
		},
		spec: func(o *corev1.Endpoints) { o.Subsets[0].Addresses[0].Ip = "10.244.0.6" },
		invalid: func(n string) *corev1.Endpoints {
			return &corev1.Endpoints{Metadata: meta(n, nil), Subsets: []*corev1.EndpointSubset{{
				Addresses: []*corev1.EndpointAddress{{Ip: "not-an-ip"}},
				Ports:     []*corev1.EndpointPort{{Name: "http", Port: 0, Protocol: "TCP"}},
			}}}
		},
		badFields: []string{"subsets[0].addresses[0].ip", "subsets[0].ports[0].port"},
	}
}

func rcFixture() kindFixture[*corev1.ReplicationController] {
	return kindFixture[*corev1.ReplicationController]{
		valid: func(n string) *corev1.ReplicationController {
			return &corev1.ReplicationController{Metadata: meta(n, appLabels), Spec: &corev1.ReplicationControllerSpec{
				Replicas: ptr(int32(2)), Selector: appLabels, Template: template(appLabels, "Always"),
			}}
		},
		spec: func(o *corev1.ReplicationController) { o.Spec.Replicas = ptr(int32(3)) },
		status: func(o *corev1.ReplicationController) {
			o.Status = &corev1.ReplicationControllerStatus{Replicas: 2, ReadyReplicas: 1}
		},
		invalid: func(n string) *corev1.ReplicationController {
			return &corev1.ReplicationController{Metadata: meta(n, nil), Spec: &corev1.ReplicationControllerSpec{
				Replicas: ptr(int32(-1)), Selector: appLabels, Template: template(map[string]string{"app": "other"}, "Always"),
			}}
		},
		badFields: []string{"spec.replicas", "spec.template.metadata.labels"},
	}
}

func eventFixture() kindFixture[*corev1.Event] {
	return kindFixture[*corev1.Event]{
		valid: func(n string) *corev1.Event {
			return &corev1.Event{
				Metadata:       meta(n, nil),
				InvolvedObject: &corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "default"},
				Reason:         "Scheduled", Message: "assigned", Type: "Normal", Count: 1,
				Source: &corev1.EventSource{Component: "keelson-scheduler"},
			}
		},
		spec: func(o *corev1.Event) { o.Count = 2 },
		invalid: func(n string) *corev1.Event {
			return &corev1.Event{Metadata: meta(n, nil), Type: "Loud", Count: 1,
				InvolvedObject: &corev1.ObjectReference{Kind: "Pod", Name: "web", Namespace: "elsewhere"}}
		},
		badFields: []string{"type", "involvedObject.namespace"},
	}
}

func configMapFixture() kindFixture[*corev1.ConfigMap] {
	return kindFixture[*corev1.ConfigMap]{
		valid: func(n string) *corev1.ConfigMap {
			return &corev1.ConfigMap{Metadata: meta(n, nil), Data: map[string]string{"a.conf": "x=1"}}
		},
		spec: func(o *corev1.ConfigMap) { o.Data["b.conf"] = "y=2" },
		invalid: func(n string) *corev1.ConfigMap {
			return &corev1.ConfigMap{Metadata: meta(n, nil), Data: map[string]string{"bad key!": "x", "": "y"}}
		},
		badFields: []string{"data[bad key!]", "data[]"},
	}
}

func secretFixture() kindFixture[*corev1.Secret] {
	return kindFixture[*corev1.Secret]{
		valid: func(n string) *corev1.Secret {
			return &corev1.Secret{Metadata: meta(n, nil), Data: map[string][]byte{"password": []byte("hunter2")}}
		},
		spec: func(o *corev1.Secret) { o.Data["user"] = []byte("admin") },
		invalid: func(n string) *corev1.Secret {
			return &corev1.Secret{Metadata: meta(n, nil), Data: map[string][]byte{"bad key!": nil, "a/b": nil}}
		},
		badFields: []string{"data[bad key!]", "data[a/b]"},
	}
}

func serviceAccountFixture() kindFixture[*corev1.ServiceAccount] {
	return kindFixture[*corev1.ServiceAccount]{
		valid: func(n string) *corev1.ServiceAccount { return &corev1.ServiceAccount{Metadata: meta(n, nil)} },
		spec:  func(o *corev1.ServiceAccount) { o.AutomountServiceAccountToken = ptr(false) },
		invalid: func(n string) *corev1.ServiceAccount {
			m := meta(n, map[string]string{"bad key!": "x", "ok": "bad value!"})
			return &corev1.ServiceAccount{Metadata: m}
		},
		badFields: []string{"metadata.labels", "metadata.labels"},
	}
}

func quotaFixture() kindFixture[*corev1.ResourceQuota] {
	return kindFixture[*corev1.ResourceQuota]{
		valid: func(n string) *corev1.ResourceQuota {
			return &corev1.ResourceQuota{Metadata: meta(n, nil), Spec: &corev1.ResourceQuotaSpec{Hard: map[string]string{"pods": "10", "requests.cpu": "4"}}}
		},
		spec: func(o *corev1.ResourceQuota) { o.Spec.Hard["pods"] = "20" },
		status: func(o *corev1.ResourceQuota) {
			o.Status = &corev1.ResourceQuotaStatus{Used: map[string]string{"pods": "1"}}
		},
		invalid: func(n string) *corev1.ResourceQuota {
			return &corev1.ResourceQuota{Metadata: meta(n, nil), Spec: &corev1.ResourceQuotaSpec{Hard: map[string]string{"pods": "lots", "requests.cpu": "-1"}}}
		},
		badFields: []string{"spec.hard[pods]", "spec.hard[requests.cpu]"},
	}
}

func replicaSetFixture() kindFixture[*appsv1.ReplicaSet] {
	return kindFixture[*appsv1.ReplicaSet]{
		valid: func(n string) *appsv1.ReplicaSet {
			return &appsv1.ReplicaSet{Metadata: meta(n, appLabels), Spec: &appsv1.ReplicaSetSpec{
				Replicas: ptr(int32(2)), Selector: selector(appLabels), Template: template(appLabels, "Always"),
			}}
		},
		spec:   func(o *appsv1.ReplicaSet) { o.Spec.Replicas = ptr(int32(3)) },
		status: func(o *appsv1.ReplicaSet) { o.Status = &appsv1.ReplicaSetStatus{Replicas: 2} },
		invalid: func(n string) *appsv1.ReplicaSet {
			return &appsv1.ReplicaSet{Metadata: meta(n, nil), Spec: &appsv1.ReplicaSetSpec{
				Replicas: ptr(int32(-1)), Selector: selector(appLabels), Template: template(map[string]string{"app": "other"}, "Always"),
			}}
		},
		badFields: []string{"spec.replicas", "spec.template.metadata.labels"},
	}
}

func deploymentFixture() kindFixture[*appsv1.Deployment] {
	return kindFixture[*appsv1.Deployment]{
		valid: func(n string) *appsv1.Deployment {
			return &appsv1.Deployment{Metadata: meta(n, appLabels), Spec: &appsv1.DeploymentSpec{
				Replicas: ptr(int32(2)), Selector: selector(appLabels), Template: template(appLabels, "Always"),
			}}
		},
		spec:   func(o *appsv1.Deployment) { o.Spec.Template.Spec.Containers[0].Image = "busybox:1.37" },
		status: func(o *appsv1.Deployment) { o.Status = &appsv1.DeploymentStatus{Replicas: 2, ObservedGeneration: 1} },
		invalid: func(n string) *appsv1.Deployment {
			return &appsv1.Deployment{Metadata: meta(n, nil), Spec: &appsv1.DeploymentSpec{
				Replicas: ptr(int32(1)), Selector: selector(appLabels), Template: template(appLabels, "Never"),
			}}
		},
		badFields: []string{"spec.template.spec.restartPolicy"},
	}
}

func daemonSetFixture() kindFixture[*appsv1.DaemonSet] {
	return kindFixture[*appsv1.DaemonSet]{
		valid: func(n string) *appsv1.DaemonSet {
			return &appsv1.DaemonSet{Metadata: meta(n, appLabels), Spec: &appsv1.DaemonSetSpec{
				Selector: selector(appLabels), Template: template(appLabels, "Always"),
			}}
		},
		spec:   func(o *appsv1.DaemonSet) { o.Spec.MinReadySeconds = 5 },
		status: func(o *appsv1.DaemonSet) { o.Status = &appsv1.DaemonSetStatus{DesiredNumberScheduled: 3} },
		invalid: func(n string) *appsv1.DaemonSet {
			return &appsv1.DaemonSet{Metadata: meta(n, nil), Spec: &appsv1.DaemonSetSpec{
				Selector: selector(appLabels), Template: template(map[string]string{"app": "other"}, "OnFailure"),
			}}
		},
		badFields: []string{"spec.template.metadata.labels", "spec.template.spec.restartPolicy"},
	}
}

func statefulSetFixture() kindFixture[*appsv1.StatefulSet] {
	return kindFixture[*appsv1.StatefulSet]{
		valid: func(n string) *appsv1.StatefulSet {
			return &appsv1.StatefulSet{Metadata: meta(n, appLabels), Spec: &appsv1.StatefulSetSpec{
				Replicas: ptr(int32(2)), ServiceName: "web", Selector: selector(appLabels), Template: template(appLabels, "Always"),
			}}
		},
		spec:   func(o *appsv1.StatefulSet) { o.Spec.Replicas = ptr(int32(3)) },
		status: func(o *appsv1.StatefulSet) { o.Status = &appsv1.StatefulSetStatus{Replicas: 2} },
		invalid: func(n string) *appsv1.StatefulSet {
			return &appsv1.StatefulSet{Metadata: meta(n, nil), Spec: &appsv1.StatefulSetSpec{
				Replicas: ptr(int32(-2)), Selector: selector(appLabels), Template: template(map[string]string{"app": "other"}, "Always"),
			}}
		},
		badFields: []string{"spec.replicas", "spec.template.metadata.labels"},
	}
}

func jobFixture() kindFixture[*batchv1.Job] {
	return kindFixture[*batchv1.Job]{
		valid: func(n string) *batchv1.Job {
			return &batchv1.Job{Metadata: meta(n, nil), Spec: &batchv1.JobSpec{Template: template(map[string]string{"job": n}, "Never")}}
		},
		spec:   func(o *batchv1.Job) { o.Spec.ActiveDeadlineSeconds = ptr(int64(600)) },
		status: func(o *batchv1.Job) { o.Status = &batchv1.JobStatus{Active: 1, StartTime: timestamppb.Now()} },
		invalid: func(n string) *batchv1.Job {
			return &batchv1.Job{Metadata: meta(n, nil), Spec: &batchv1.JobSpec{
				Parallelism: ptr(int32(-1)), Template: template(map[string]string{"job": n}, "Always"),
			}}
		},
		badFields: []string{"spec.parallelism", "spec.template.spec.restartPolicy"},
	}
}

func controllerRevisionFixture() kindFixture[*appsv1.ControllerRevision] {
	return kindFixture[*appsv1.ControllerRevision]{
		valid: func(n string) *appsv1.ControllerRevision {
			return &appsv1.ControllerRevision{Metadata: meta(n, appLabels), Data: []byte(`{"spec":{"replicas":1}}`), Revision: 1}
		},
		// data and revision are immutable: an update may change only metadata.
		spec: func(o *appsv1.ControllerRevision) {
			o.Metadata.Labels = map[string]string{"app": "web", "touched": "yes"}
		},
		invalid: func(n string) *appsv1.ControllerRevision {
			return &appsv1.ControllerRevision{Metadata: meta(n, nil), Data: []byte(`{"spec":`), Revision: -1}
		},
		badFields: []string{"revision"},
	}
}

func leaseFixture() kindFixture[*coordinationv1.Lease] {
	return kindFixture[*coordinationv1.Lease]{
		valid: func(n string) *coordinationv1.Lease {
			return &coordinationv1.Lease{Metadata: meta(n, nil), Spec: &coordinationv1.LeaseSpec{
				HolderIdentity: ptr("node-a"), LeaseDurationSeconds: ptr(int32(40)), RenewTime: timestamppb.Now(),
			}}
		},
		spec: func(o *coordinationv1.Lease) { o.Spec.RenewTime = timestamppb.Now() },
		invalid: func(n string) *coordinationv1.Lease {
			return &coordinationv1.Lease{Metadata: meta(n, nil), Spec: &coordinationv1.LeaseSpec{
				LeaseDurationSeconds: ptr(int32(0)), LeaseTransitions: ptr(int32(-1)),
			}}
		},
		badFields: []string{"spec.leaseDurationSeconds", "spec.leaseTransitions"},
	}
}

func namespaceFixture() kindFixture[*corev1.Namespace] {
	return kindFixture[*corev1.Namespace]{
		valid: func(n string) *corev1.Namespace {
			return &corev1.Namespace{Metadata: meta(n, map[string]string{"team": "a"})}
		},
		spec: func(o *corev1.Namespace) { o.Metadata.Labels["team"] = "b" },
		status: func(o *corev1.Namespace) {
			o.Status = &corev1.NamespaceStatus{Phase: "Active", Conditions: []*corev1.NamespaceCondition{
				{Type: "NamespaceDeletionDiscoveryFailure", Status: "False", Reason: "ResourcesDiscovered"},
			}}
		},
		invalid: func(string) *corev1.Namespace {
			return &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "Not_A_Label", Labels: map[string]string{"x": "bad value!"}}}
		},
		badFields: []string{"metadata.name", "metadata.labels"},
	}
}
