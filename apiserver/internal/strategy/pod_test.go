package strategy

import (
	"testing"

	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func meta(name string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name}
}

func validPod() *corev1.Pod {
	return defaulted(podStrategy{}, &corev1.Pod{
		Metadata: meta("web"),
		Spec: &corev1.PodSpec{
			Volumes: []*corev1.Volume{
				{Name: "data", EmptyDir: &corev1.EmptyDirVolumeSource{}},
				{Name: "config", ConfigMap: &corev1.ConfigMapVolumeSource{Name: "web-config"}},
			},
			Containers: []*corev1.Container{{
				Name:  "app",
				Image: "nginx:1.27",
				Ports: []*corev1.ContainerPort{{Name: "http", ContainerPort: 80}},
				Env: []*corev1.EnvVar{
					{Name: "MODE", Value: "prod"},
					{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				},
				Resources: &corev1.ResourceRequirements{
					Requests: map[string]string{"cpu": "100m", "memory": "64Mi"},
					Limits:   map[string]string{"cpu": "500m", "memory": "128Mi"},
				},
				VolumeMounts:   []*corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "config", MountPath: "/etc/web"}},
				ReadinessProbe: &corev1.Probe{HttpGet: &corev1.HTTPGetAction{Port: intOrInt(80)}},
			}},
		},
	})
}

func TestPodDefault(t *testing.T) {
	in := &corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{
		ServiceAccount: "builder",
		Containers: []*corev1.Container{{
			Name: "a", Image: "busybox",
			Ports:         []*corev1.ContainerPort{{ContainerPort: 8080}},
			Resources:     &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1"}},
			LivenessProbe: &corev1.Probe{HttpGet: &corev1.HTTPGetAction{Port: intOrInt(8080)}},
			Env:           []*corev1.EnvVar{{Name: "N", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
		}},
		InitContainers: []*corev1.Container{{Name: "init", Image: "registry.local:5000/tools:v1"}},
		Volumes:        []*corev1.Volume{{Name: "s", Secret: &corev1.SecretVolumeSource{SecretName: "x"}}},
	}}
	want := &corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{
		ServiceAccount:                "builder",
		ServiceAccountName:            "builder",
		RestartPolicy:                 "Always",
		DnsPolicy:                     "ClusterFirst",
		SchedulerName:                 "default-scheduler",
		TerminationGracePeriodSeconds: proto.Int64(30),
		EnableServiceLinks:            proto.Bool(true),
		SecurityContext:               &corev1.PodSecurityContext{},
		Containers: []*corev1.Container{{
			Name: "a", Image: "busybox",
			Ports:                    []*corev1.ContainerPort{{ContainerPort: 8080, Protocol: "TCP"}},
			Resources:                &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1"}, Requests: map[string]string{"cpu": "1"}},
			LivenessProbe:            &corev1.Probe{HttpGet: &corev1.HTTPGetAction{Port: intOrInt(8080), Path: "/", Scheme: "HTTP"}, TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3},
			Env:                      []*corev1.EnvVar{{Name: "N", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name", ApiVersion: "v1"}}}},
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: "File",
			ImagePullPolicy:          "Always",
		}},
		InitContainers: []*corev1.Container{{
			Name: "init", Image: "registry.local:5000/tools:v1",
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: "File",
			ImagePullPolicy:          "IfNotPresent",
		}},
		Volumes: []*corev1.Volume{{Name: "s", Secret: &corev1.SecretVolumeSource{SecretName: "x", DefaultMode: proto.Int32(0o644)}}},
	}}
	checkDefault(t, podStrategy{}, in, want)
}

func TestPodDefaultKeepsSetValues(t *testing.T) {
	in := &corev1.Pod{Metadata: meta("p"), Spec: &corev1.PodSpec{
		RestartPolicy:                 "Never",
		TerminationGracePeriodSeconds: proto.Int64(-5),
		EnableServiceLinks:            proto.Bool(false),
		HostNetwork:                   true,
		Containers: []*corev1.Container{{
			Name: "a", Image: "busybox:latest", ImagePullPolicy: "Never",
			Ports: []*corev1.ContainerPort{{ContainerPort: 53, Protocol: "UDP"}},
		}},
	}}
	podStrategy{}.Default(in)
	s := in.Spec
	if s.RestartPolicy != "Never" || s.GetTerminationGracePeriodSeconds() != 1 || s.GetEnableServiceLinks() ||
		s.Containers[0].ImagePullPolicy != "Never" || s.Containers[0].Ports[0].Protocol != "UDP" ||
		s.Containers[0].Ports[0].HostPort != 53 {
		t.Errorf("Default overrode set values or missed hostNetwork's hostPort: %v", in)
	}
}

func TestPullPolicyFor(t *testing.T) {
	for image, want := range map[string]string{
		"nginx":                        "Always",
		"nginx:latest":                 "Always",
		"nginx:1.27":                   "IfNotPresent",
		"registry:5000/nginx":          "Always",
		"registry:5000/nginx:1":        "IfNotPresent",
		"nginx@sha256:0123456789abcde": "IfNotPresent",
	} {
		if got := pullPolicyFor(image); got != want {
			t.Errorf("pullPolicyFor(%q) = %s, want %s", image, got, want)
		}
	}
}

func TestPodValidate(t *testing.T) {
	c0 := "spec.containers[0]"
	runValidation(t, podStrategy{}, validPod, []fieldCase[*corev1.Pod]{
		{"no containers", func(p *corev1.Pod) { p.Spec.Containers = nil }, []string{"spec.containers"}},
		{"container name missing", func(p *corev1.Pod) { p.Spec.Containers[0].Name = "" }, []string{c0 + ".name"}},
		{"container name not a DNS label", func(p *corev1.Pod) { p.Spec.Containers[0].Name = "App_1" }, []string{c0 + ".name"}},
		{"duplicate container name", func(p *corev1.Pod) {
			p.Spec.InitContainers = []*corev1.Container{proto.Clone(p.Spec.Containers[0]).(*corev1.Container)}
			p.Spec.InitContainers[0].ReadinessProbe = nil
		}, []string{c0 + ".name"}},
		{"image empty", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" }, []string{c0 + ".image"}},
		{"image with spaces", func(p *corev1.Pod) { p.Spec.Containers[0].Image = " nginx" }, []string{c0 + ".image"}},
		{"bad restart policy", func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" }, []string{"spec.restartPolicy"}},
		{"bad dns policy", func(p *corev1.Pod) { p.Spec.DnsPolicy = "Google" }, []string{"spec.dnsPolicy"}},
		{"dns None without config", func(p *corev1.Pod) { p.Spec.DnsPolicy = "None" }, []string{"spec.dnsConfig"}},
		{"bad pull policy", func(p *corev1.Pod) { p.Spec.Containers[0].ImagePullPolicy = "Sometimes" }, []string{c0 + ".imagePullPolicy"}},
		{"port out of range", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 70000 }, []string{c0 + ".ports[0].containerPort"}},
		{"port missing", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 0 }, []string{c0 + ".ports[0].containerPort"}},
		{"bad protocol", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Protocol = "ICMP" }, []string{c0 + ".ports[0].protocol"}},
		{"bad port name", func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Name = "http--port" }, []string{c0 + ".ports[0].name"}},
		{"duplicate port name", func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, &corev1.ContainerPort{Name: "http", ContainerPort: 81, Protocol: "TCP"})
		}, []string{c0 + ".ports[1].name"}},
		{"hostNetwork needs hostPort == containerPort", func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports[0].HostPort = 8080
		}, []string{c0 + ".ports[0].hostPort"}},
		{"bad cpu quantity", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Limits["cpu"] = "lots" }, []string{c0 + ".resources.limits[cpu]"}},
		{"negative memory", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests["memory"] = "-1Mi" }, []string{c0 + ".resources.requests[memory]"}},
		{"request above limit", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests["cpu"] = "2" }, []string{c0 + ".resources.requests[cpu]"}},
		{"unknown resource", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Limits["gpu"] = "1" }, []string{c0 + ".resources.limits[gpu]"}},
		{"mount of a missing volume", func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].Name = "cache" }, []string{c0 + ".volumeMounts[0].name"}},
		{"mount path missing", func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].MountPath = "" }, []string{c0 + ".volumeMounts[0].mountPath"}},
		{"duplicate mount path", func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[1].MountPath = "/data" }, []string{c0 + ".volumeMounts[1].mountPath"}},
		{"subPath escapes", func(p *corev1.Pod) { p.Spec.Containers[0].VolumeMounts[0].SubPath = "../etc" }, []string{c0 + ".volumeMounts[0].subPath"}},
		{"volume without source", func(p *corev1.Pod) { p.Spec.Volumes[0].EmptyDir = nil }, []string{"spec.volumes[0]"}},
		{"volume with two sources", func(p *corev1.Pod) {
			p.Spec.Volumes[0].HostPath = &corev1.HostPathVolumeSource{Path: "/tmp", Type: proto.String("")}
		}, []string{"spec.volumes[0].emptyDir"}},
		{"duplicate volume", func(p *corev1.Pod) { p.Spec.Volumes[1].Name = "data" },
			[]string{"spec.volumes[1].name", c0 + ".volumeMounts[1].name"}},
		{"configMap volume without name", func(p *corev1.Pod) { p.Spec.Volumes[1].ConfigMap.Name = "" }, []string{"spec.volumes[1].configMap.name"}},
		{"bad default mode", func(p *corev1.Pod) { p.Spec.Volumes[1].ConfigMap.DefaultMode = proto.Int32(0o1777) }, []string{"spec.volumes[1].configMap.defaultMode"}},
		{"absolute item path", func(p *corev1.Pod) {
			p.Spec.Volumes[1].ConfigMap.Items = []*corev1.KeyToPath{{Key: "k", Path: "/etc/k"}}
		}, []string{"spec.volumes[1].configMap.items[0].path"}},
		{"probe without handler", func(p *corev1.Pod) { p.Spec.Containers[0].ReadinessProbe.HttpGet = nil }, []string{c0 + ".readinessProbe"}},
		{"probe with two handlers", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe.TcpSocket = &corev1.TCPSocketAction{Port: intOrInt(80)}
		}, []string{c0 + ".readinessProbe.tcpSocket"}},
		{"liveness success threshold", func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{Exec: &corev1.ExecAction{Command: []string{"true"}}, SuccessThreshold: 2}
		}, []string{c0 + ".livenessProbe.successThreshold"}},
		{"negative probe period", func(p *corev1.Pod) { p.Spec.Containers[0].ReadinessProbe.PeriodSeconds = -1 }, []string{c0 + ".readinessProbe.periodSeconds"}},
		{"probe port name invalid", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe.HttpGet.Port = intOrPercent("HTTP")
		}, []string{c0 + ".readinessProbe.httpGet.port"}},
		{"exec without command", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{}}}
		}, []string{c0 + ".lifecycle.preStop.exec.command"}},
		{"sleep longer than grace period", func(p *corev1.Pod) {
			p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 60}}}
		}, []string{c0 + ".lifecycle.preStop.sleep.seconds"}},
		{"env name missing", func(p *corev1.Pod) { p.Spec.Containers[0].Env[0].Name = "" }, []string{c0 + ".env[0].name"}},
		{"env name with =", func(p *corev1.Pod) { p.Spec.Containers[0].Env[0].Name = "A=B" }, []string{c0 + ".env[0].name"}},
		{"env value and valueFrom", func(p *corev1.Pod) { p.Spec.Containers[0].Env[1].Value = "x" }, []string{c0 + ".env[1].valueFrom"}},
		{"env unsupported field path", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env[1].ValueFrom.FieldRef.FieldPath = "spec.containers"
		}, []string{c0 + ".env[1].valueFrom.fieldRef.fieldPath"}},
		{"env configMapKeyRef without key", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env[1].ValueFrom = &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm"}}
		}, []string{c0 + ".env[1].valueFrom.configMapKeyRef.key"}},
		{"env resourceFieldRef of unknown container", func(p *corev1.Pod) {
			p.Spec.Containers[0].Env[1].ValueFrom = &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "db", Resource: "limits.cpu"}}
		}, []string{c0 + ".env[1].valueFrom.resourceFieldRef.containerName"}},
		{"envFrom without source", func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []*corev1.EnvFromSource{{Prefix: "X_"}}
		}, []string{c0 + ".envFrom[0]"}},
		{"restartPolicy on a regular container", func(p *corev1.Pod) {
			p.Spec.Containers[0].RestartPolicy = proto.String("Always")
		}, []string{c0 + ".restartPolicy"}},
		{"probe on a non-sidecar init container", func(p *corev1.Pod) {
			p.Spec.InitContainers = []*corev1.Container{{Name: "init", Image: "busybox", ImagePullPolicy: "Always", TerminationMessagePolicy: "File",
				ReadinessProbe: &corev1.Probe{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}
		}, []string{"spec.initContainers[0].readinessProbe"}},
		{"bad node selector", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd!"} }, []string{"spec.nodeSelector"}},
		{"bad service account name", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "Bad_Name" }, []string{"spec.serviceAccountName"}},
		{"zero active deadline", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = proto.Int64(0) }, []string{"spec.activeDeadlineSeconds"}},
		{"toleration Exists with value", func(p *corev1.Pod) {
			p.Spec.Tolerations = []*corev1.Toleration{{Key: "k", Operator: "Exists", Value: "v"}}
		}, []string{"spec.tolerations[0].value"}},
		{"toleration seconds without NoExecute", func(p *corev1.Pod) {
			p.Spec.Tolerations = []*corev1.Toleration{{Key: "k", Operator: "Equal", Value: "v", Effect: "NoSchedule", TolerationSeconds: proto.Int64(5)}}
		}, []string{"spec.tolerations[0].effect"}},
		{"node affinity without terms", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{}}}
		}, []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"}},
		{"node affinity In without values", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []*corev1.NodeSelectorTerm{{MatchExpressions: []*corev1.NodeSelectorRequirement{{Key: "zone", Operator: "In"}}}},
			}}}
		}, []string{"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values"}},
		{"pod affinity without topology key and bad weight", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []*corev1.WeightedPodAffinityTerm{
				{Weight: 101, PodAffinityTerm: &corev1.PodAffinityTerm{}},
			}}}
		}, []string{
			"spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey",
			"spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
		}},
		{"topology spread", func(p *corev1.Pod) {
			p.Spec.TopologySpreadConstraints = []*corev1.TopologySpreadConstraint{{MaxSkew: 0, TopologyKey: "zone", WhenUnsatisfiable: "Maybe"}}
		}, []string{"spec.topologySpreadConstraints[0].maxSkew", "spec.topologySpreadConstraints[0].whenUnsatisfiable"}},
		{"host alias with bad IP", func(p *corev1.Pod) {
			p.Spec.HostAliases = []*corev1.HostAlias{{Ip: "300.1.1.1", Hostnames: []string{"db"}}}
		}, []string{"spec.hostAliases[0].ip"}},
		{"run as user out of range", func(p *corev1.Pod) { p.Spec.SecurityContext.RunAsUser = proto.Int64(-1) }, []string{"spec.securityContext.runAsUser"}},
		{"privileged without escalation", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: proto.Bool(true), AllowPrivilegeEscalation: proto.Bool(false)}
		}, []string{c0 + ".securityContext"}},
		{"seccomp Localhost without profile", func(p *corev1.Pod) {
			p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: "Localhost"}
		}, []string{"spec.securityContext.seccompProfile.localhostProfile"}},
		{"several bad fields at once", func(p *corev1.Pod) {
			p.Spec.RestartPolicy = "x"
			p.Spec.Containers[0].Image = ""
			p.Spec.Volumes[0].Name = ""
		}, []string{"spec.restartPolicy", c0 + ".image", "spec.volumes[0].name", c0 + ".volumeMounts[0].name"}},
	})
}

func TestPodValidateUpdate(t *testing.T) {
	runUpdate(t, podStrategy{}, validPod, []fieldCase[*corev1.Pod]{
		{"image change allowed", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.28" }, nil},
		{"grace period change allowed", func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = proto.Int64(5) }, nil},
		{"toleration added", func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, &corev1.Toleration{Key: "k", Operator: "Exists"})
		}, nil},
		{"active deadline set", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = proto.Int64(100) }, nil},
		{"other field changed", func(p *corev1.Pod) { p.Spec.NodeName = "node-2" }, []string{"spec"}},
		{"container added", func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, &corev1.Container{Name: "b", Image: "x", ImagePullPolicy: "Always", TerminationMessagePolicy: "File"})
		}, []string{"spec.containers"}},
		{"invalid new image", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" }, []string{"spec.containers[0].image"}},
	})
	base := func() *corev1.Pod {
		p := validPod()
		p.Spec.ActiveDeadlineSeconds = proto.Int64(100)
		p.Spec.Tolerations = []*corev1.Toleration{{Key: "k", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(10)}}
		p.Spec.SchedulingGates = []*corev1.PodSchedulingGate{{Name: "example.com/wait"}}
		return p
	}
	runUpdate(t, podStrategy{}, base, []fieldCase[*corev1.Pod]{
		{"active deadline raised", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = proto.Int64(200) }, []string{"spec.activeDeadlineSeconds"}},
		{"active deadline removed", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = nil }, []string{"spec.activeDeadlineSeconds"}},
		{"active deadline lowered", func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = proto.Int64(50) }, nil},
		{"toleration removed", func(p *corev1.Pod) { p.Spec.Tolerations = nil }, []string{"spec.tolerations"}},
		{"toleration seconds changed", func(p *corev1.Pod) { p.Spec.Tolerations[0].TolerationSeconds = proto.Int64(5) }, nil},
		{"scheduling gate removed", func(p *corev1.Pod) { p.Spec.SchedulingGates = nil }, nil},
		{"scheduling gate added", func(p *corev1.Pod) {
			p.Spec.SchedulingGates = append(p.Spec.SchedulingGates, &corev1.PodSchedulingGate{Name: "example.com/more"})
		}, []string{"spec.schedulingGates"}},
	})
}

func TestPodValidateStatus(t *testing.T) {
	running := func() *corev1.Pod {
		p := validPod()
		p.Status = &corev1.PodStatus{Phase: "Running", PodIp: "10.0.0.5", PodIps: []*corev1.PodIP{{Ip: "10.0.0.5"}}}
		return p
	}
	runStatus(t, podStrategy{}, running, []fieldCase[*corev1.Pod]{
		{"valid", func(p *corev1.Pod) { p.Status.Phase = "Succeeded" }, nil},
		{"unknown phase", func(p *corev1.Pod) { p.Status.Phase = "Sleeping" }, []string{"status.phase"}},
		{"bad pod IP", func(p *corev1.Pod) {
			p.Status.PodIp = "10.0.0"
			p.Status.PodIps = nil
		}, []string{"status.podIP"}},
		{"podIPs[0] differs from podIP", func(p *corev1.Pod) { p.Status.PodIps[0].Ip = "10.0.0.6" }, []string{"status.podIPs[0]"}},
		{"negative restart count", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []*corev1.ContainerStatus{{Name: "app", RestartCount: -1}}
		}, []string{"status.containerStatuses[0].restartCount"}},
	})
	done := func() *corev1.Pod {
		p := running()
		p.Status.Phase = "Failed"
		return p
	}
	runStatus(t, podStrategy{}, done, []fieldCase[*corev1.Pod]{
		{"terminal phase left", func(p *corev1.Pod) { p.Status.Phase = "Running" }, []string{"status.phase"}},
	})
}

func TestPodSelectableFields(t *testing.T) {
	p := validPod()
	p.Spec.NodeName = "node-1"
	p.Status = &corev1.PodStatus{Phase: "Running", PodIp: "10.0.0.5", NominatedNodeName: "node-2"}
	want := map[string]string{
		"metadata.name": "web", "metadata.namespace": "default", "spec.nodeName": "node-1",
		"spec.restartPolicy": "Always", "spec.schedulerName": "default-scheduler",
		"spec.serviceAccountName": "", "spec.hostNetwork": "false", "status.phase": "Running",
		"status.podIP": "10.0.0.5", "status.nominatedNodeName": "node-2",
	}
	got := podStrategy{}.SelectableFields(p)
	if len(got) != len(want) {
		t.Errorf("SelectableFields = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s = %q, want %q", k, got[k], v)
		}
	}
	if empty := (podStrategy{}).SelectableFields(&corev1.Pod{}); len(empty) != len(want) {
		t.Errorf("an empty pod has fields %v, want the same keys as a full one", empty)
	}
}
