package strategy

import (
	"testing"

	"google.golang.org/protobuf/proto"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func webTemplate() *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}
}

func webSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
}

func TestTemplateDefaulted(t *testing.T) {
	rs := defaulted(replicaSetStrategy{}, &appsv1.ReplicaSet{Metadata: meta("rs"), Spec: &appsv1.ReplicaSetSpec{Template: webTemplate()}})
	ps := rs.Spec.Template.Spec
	if ps.RestartPolicy != "Always" || ps.Containers[0].ImagePullPolicy != "IfNotPresent" || rs.Spec.GetReplicas() != 1 {
		t.Errorf("replica set template not defaulted: %v", rs.Spec)
	}
}

func validReplicaSet() *appsv1.ReplicaSet {
	return defaulted(replicaSetStrategy{}, &appsv1.ReplicaSet{Metadata: meta("web"), Spec: &appsv1.ReplicaSetSpec{
		Selector: webSelector(), Template: webTemplate(),
	}})
}

func TestReplicaSet(t *testing.T) {
	runValidation(t, replicaSetStrategy{}, validReplicaSet, []fieldCase[*appsv1.ReplicaSet]{
		{"negative replicas", func(r *appsv1.ReplicaSet) { r.Spec.Replicas = proto.Int32(-1) }, []string{"spec.replicas"}},
		{"no selector", func(r *appsv1.ReplicaSet) { r.Spec.Selector = nil }, []string{"spec.selector"}},
		{"empty selector", func(r *appsv1.ReplicaSet) { r.Spec.Selector = &metav1.LabelSelector{} }, []string{"spec.selector"}},
		{"selector does not match", func(r *appsv1.ReplicaSet) { r.Spec.Selector.MatchLabels["app"] = "db" }, []string{"spec.template.metadata.labels"}},
		{"bad selector operator", func(r *appsv1.ReplicaSet) {
			r.Spec.Selector.MatchExpressions = []*metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Like"}}
		}, []string{"spec.selector.matchExpressions[0].operator"}},
		{"restart policy Never", func(r *appsv1.ReplicaSet) { r.Spec.Template.Spec.RestartPolicy = "Never" }, []string{"spec.template.spec.restartPolicy"}},
		{"active deadline", func(r *appsv1.ReplicaSet) { r.Spec.Template.Spec.ActiveDeadlineSeconds = proto.Int64(10) }, []string{"spec.template.spec.activeDeadlineSeconds"}},
		{"no template", func(r *appsv1.ReplicaSet) { r.Spec.Template = nil }, []string{"spec.template"}},
		{"bad container in template", func(r *appsv1.ReplicaSet) { r.Spec.Template.Spec.Containers[0].Image = "" }, []string{"spec.template.spec.containers[0].image"}},
	})
	runUpdate(t, replicaSetStrategy{}, validReplicaSet, []fieldCase[*appsv1.ReplicaSet]{
		{"scale", func(r *appsv1.ReplicaSet) { r.Spec.Replicas = proto.Int32(5) }, nil},
		{"selector changed", func(r *appsv1.ReplicaSet) {
			r.Spec.Selector.MatchLabels["tier"] = "front"
			r.Spec.Template.Metadata.Labels["tier"] = "front"
		}, []string{"spec.selector"}},
	})
	runStatus(t, replicaSetStrategy{}, validReplicaSet, []fieldCase[*appsv1.ReplicaSet]{
		{"valid", func(r *appsv1.ReplicaSet) {
			r.Status = &appsv1.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 1}
		}, nil},
		{"negative", func(r *appsv1.ReplicaSet) { r.Status = &appsv1.ReplicaSetStatus{FullyLabeledReplicas: -1} }, []string{"status.fullyLabeledReplicas"}},
		{"available above ready", func(r *appsv1.ReplicaSet) {
			r.Status = &appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 1, AvailableReplicas: 2}
		}, []string{"status.availableReplicas"}},
	})
	r := validReplicaSet()
	r.Status = &appsv1.ReplicaSetStatus{Replicas: 3}
	if f := (replicaSetStrategy{}).SelectableFields(r); f["status.replicas"] != "3" {
		t.Errorf("SelectableFields = %v", f)
	}
}

func TestReplicationController(t *testing.T) {
	rc := defaulted(replicationControllerStrategy{}, &corev1.ReplicationController{Metadata: meta("web"), Spec: &corev1.ReplicationControllerSpec{Template: webTemplate()}})
	if rc.Spec.GetReplicas() != 1 || rc.Spec.Selector["app"] != "web" {
		t.Errorf("Default: %v", rc.Spec)
	}
	valid := func() *corev1.ReplicationController {
		return defaulted(replicationControllerStrategy{}, &corev1.ReplicationController{Metadata: meta("web"), Spec: &corev1.ReplicationControllerSpec{
			Selector: map[string]string{"app": "web"}, Template: webTemplate(),
		}})
	}
	runValidation(t, replicationControllerStrategy{}, valid, []fieldCase[*corev1.ReplicationController]{
		{"negative replicas", func(r *corev1.ReplicationController) { r.Spec.Replicas = proto.Int32(-2) }, []string{"spec.replicas"}},
		{"no selector", func(r *corev1.ReplicationController) { r.Spec.Selector = nil }, []string{"spec.selector"}},
		{"selector does not match", func(r *corev1.ReplicationController) { r.Spec.Selector["app"] = "db" }, []string{"spec.template.metadata.labels"}},
		{"restart policy OnFailure", func(r *corev1.ReplicationController) { r.Spec.Template.Spec.RestartPolicy = "OnFailure" }, []string{"spec.template.spec.restartPolicy"}},
		{"no template", func(r *corev1.ReplicationController) { r.Spec.Template = nil }, []string{"spec.template"}},
	})
	runStatus(t, replicationControllerStrategy{}, valid, []fieldCase[*corev1.ReplicationController]{
		{"ready above replicas", func(r *corev1.ReplicationController) {
			r.Status = &corev1.ReplicationControllerStatus{Replicas: 1, ReadyReplicas: 2, FullyLabeledReplicas: 1}
		}, []string{"status.readyReplicas"}},
	})
}

func validDeployment() *appsv1.Deployment {
	return defaulted(deploymentStrategy{}, &appsv1.Deployment{Metadata: meta("web"), Spec: &appsv1.DeploymentSpec{
		Selector: webSelector(), Template: webTemplate(),
	}})
}

func TestDeploymentDefault(t *testing.T) {
	d := validDeployment()
	s := d.Spec
	if s.GetReplicas() != 1 || s.Strategy.Type != "RollingUpdate" ||
		!proto.Equal(s.Strategy.RollingUpdate.MaxUnavailable, intOrPercent("25%")) ||
		!proto.Equal(s.Strategy.RollingUpdate.MaxSurge, intOrPercent("25%")) ||
		s.GetRevisionHistoryLimit() != 10 || s.GetProgressDeadlineSeconds() != 600 {
		t.Errorf("Default: %v", s)
	}
	r := defaulted(deploymentStrategy{}, &appsv1.Deployment{Spec: &appsv1.DeploymentSpec{Strategy: &appsv1.DeploymentStrategy{Type: "Recreate"}}})
	if r.Spec.Strategy.RollingUpdate != nil {
		t.Errorf("Recreate got a rollingUpdate: %v", r.Spec.Strategy)
	}
}

func TestDeploymentValidate(t *testing.T) {
	runValidation(t, deploymentStrategy{}, validDeployment, []fieldCase[*appsv1.Deployment]{
		{"bad strategy", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "BlueGreen" }, []string{"spec.strategy.type"}},
		{"Recreate with rollingUpdate", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = "Recreate" }, []string{"spec.strategy.rollingUpdate"}},
		{"both zero", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = intOrInt(0)
			d.Spec.Strategy.RollingUpdate.MaxSurge = intOrPercent("0%")
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable"}},
		{"unavailable over 100%", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = intOrPercent("150%")
		}, []string{"spec.strategy.rollingUpdate.maxUnavailable"}},
		{"surge not a percent", func(d *appsv1.Deployment) {
			d.Spec.Strategy.RollingUpdate.MaxSurge = intOrPercent("half")
		}, []string{"spec.strategy.rollingUpdate.maxSurge"}},
		{"negative history", func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = proto.Int32(-1) }, []string{"spec.revisionHistoryLimit"}},
		{"deadline not above minReady", func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = 600 }, []string{"spec.progressDeadlineSeconds"}},
		{"selector does not match", func(d *appsv1.Deployment) { d.Spec.Template.Metadata.Labels = nil }, []string{"spec.template.metadata.labels"}},
	})
	runUpdate(t, deploymentStrategy{}, validDeployment, []fieldCase[*appsv1.Deployment]{
		{"new image", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:1.28" }, nil},
		{"selector changed", func(d *appsv1.Deployment) {
			d.Spec.Selector.MatchLabels = map[string]string{"app": "web", "v": "2"}
			d.Spec.Template.Metadata.Labels["v"] = "2"
		}, []string{"spec.selector"}},
	})
	runStatus(t, deploymentStrategy{}, validDeployment, []fieldCase[*appsv1.Deployment]{
		{"negative updated", func(d *appsv1.Deployment) { d.Status = &appsv1.DeploymentStatus{UpdatedReplicas: -1} }, []string{"status.updatedReplicas"}},
	})
}

func validDaemonSet() *appsv1.DaemonSet {
	return defaulted(daemonSetStrategy{}, &appsv1.DaemonSet{Metadata: meta("agent"), Spec: &appsv1.DaemonSetSpec{
		Selector: webSelector(), Template: webTemplate(),
	}})
}

func TestDaemonSet(t *testing.T) {
	ds := validDaemonSet()
	if u := ds.Spec.UpdateStrategy; u.Type != "RollingUpdate" || !proto.Equal(u.RollingUpdate.MaxUnavailable, intOrInt(1)) ||
		!proto.Equal(u.RollingUpdate.MaxSurge, intOrInt(0)) || ds.Spec.GetRevisionHistoryLimit() != 10 {
		t.Errorf("Default: %v", ds.Spec)
	}
	runValidation(t, daemonSetStrategy{}, validDaemonSet, []fieldCase[*appsv1.DaemonSet]{
		{"bad update strategy", func(d *appsv1.DaemonSet) { d.Spec.UpdateStrategy.Type = "Rolling" }, []string{"spec.updateStrategy.type"}},
		{"zero unavailable and surge", func(d *appsv1.DaemonSet) {
			d.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = intOrInt(0)
		}, []string{"spec.updateStrategy.rollingUpdate.maxUnavailable"}},
		{"restart policy Never", func(d *appsv1.DaemonSet) { d.Spec.Template.Spec.RestartPolicy = "Never" }, []string{"spec.template.spec.restartPolicy"}},
		{"no selector", func(d *appsv1.DaemonSet) { d.Spec.Selector = nil }, []string{"spec.selector"}},
	})
	runStatus(t, daemonSetStrategy{}, validDaemonSet, []fieldCase[*appsv1.DaemonSet]{
		{"negative ready", func(d *appsv1.DaemonSet) { d.Status = &appsv1.DaemonSetStatus{NumberReady: -1} }, []string{"status.numberReady"}},
	})
}

func validStatefulSet() *appsv1.StatefulSet {
	return defaulted(statefulSetStrategy{}, &appsv1.StatefulSet{Metadata: meta("db"), Spec: &appsv1.StatefulSetSpec{
		ServiceName: "db", Selector: webSelector(), Template: webTemplate(),
	}})
}

func TestStatefulSet(t *testing.T) {
	ss := validStatefulSet()
	if s := ss.Spec; s.GetReplicas() != 1 || s.PodManagementPolicy != "OrderedReady" || s.UpdateStrategy.Type != "RollingUpdate" ||
		s.UpdateStrategy.RollingUpdate.GetPartition() != 0 || s.UpdateStrategy.RollingUpdate.Partition == nil ||
		s.GetRevisionHistoryLimit() != 10 || s.PersistentVolumeClaimRetentionPolicy.WhenDeleted != "Retain" {
		t.Errorf("Default: %v", ss.Spec)
	}
	runValidation(t, statefulSetStrategy{}, validStatefulSet, []fieldCase[*appsv1.StatefulSet]{
		{"bad pod management", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Random" }, []string{"spec.podManagementPolicy"}},
		{"OnDelete with rollingUpdate", func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.Type = "OnDelete" }, []string{"spec.updateStrategy.rollingUpdate"}},
		{"negative partition", func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = proto.Int32(-1) }, []string{"spec.updateStrategy.rollingUpdate.partition"}},
		{"bad service name", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "DB" }, []string{"spec.serviceName"}},
		{"bad retention", func(s *appsv1.StatefulSet) { s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Keep" }, []string{"spec.persistentVolumeClaimRetentionPolicy.whenScaled"}},
		{"negative replicas", func(s *appsv1.StatefulSet) { s.Spec.Replicas = proto.Int32(-1) }, []string{"spec.replicas"}},
		{"mount of a claim template", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{claimTemplate("data")}
			mountData(s)
		}, nil},
		{"mount of neither a volume nor a claim template", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{claimTemplate("logs")}
			mountData(s)
		}, []string{"spec.template.spec.containers[0].volumeMounts[0].name"}},
		{"claim template without name", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{claimTemplate("")}
		}, []string{"spec.volumeClaimTemplates[0].metadata.name"}},
		{"duplicate claim template", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{claimTemplate("data"), claimTemplate("data")}
		}, []string{"spec.volumeClaimTemplates[1].metadata.name"}},
	})
	runUpdate(t, statefulSetStrategy{}, validStatefulSet, []fieldCase[*appsv1.StatefulSet]{
		{"claim templates changed", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []*corev1.PersistentVolumeClaim{claimTemplate("data")}
		}, []string{"spec"}},
		{"scale and new image", func(s *appsv1.StatefulSet) {
			s.Spec.Replicas = proto.Int32(3)
			s.Spec.Template.Spec.Containers[0].Image = "postgres:17"
		}, nil},
		{"service name changed", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "other" }, []string{"spec"}},
		{"pod management changed", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Parallel" }, []string{"spec"}},
	})
	runStatus(t, statefulSetStrategy{}, validStatefulSet, []fieldCase[*appsv1.StatefulSet]{
		{"ready above replicas", func(s *appsv1.StatefulSet) { s.Status = &appsv1.StatefulSetStatus{Replicas: 1, ReadyReplicas: 2} }, []string{"status.readyReplicas"}},
	})
}

// claimTemplate is a stateful set's claim template asking for a gigabyte.
func claimTemplate(name string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &corev1.PersistentVolumeClaimSpec{
			AccessModes: []string{"ReadWriteOnce"},
			Resources:   &corev1.VolumeResourceRequirements{Requests: map[string]string{"storage": "1Gi"}},
		},
	}
}

// mountData mounts the volume "data" into the first container of s's template.
func mountData(s *appsv1.StatefulSet) {
	c := s.Spec.Template.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, &corev1.VolumeMount{Name: "data", MountPath: "/var/lib/data"})
}
