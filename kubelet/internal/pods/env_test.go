package pods

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func boolp(b bool) *bool { return &b }

func envObjects(t *testing.T) *clienttest.Server {
	t.Helper()
	return clienttest.Start(t,
		&corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm", Namespace: "ns"}, Data: map[string]string{"color": "blue", "size": "L", "bad key": "x"}},
		&corev1.Secret{Metadata: &metav1.ObjectMeta{Name: "sec", Namespace: "ns"}, Data: map[string][]byte{"password": []byte("hunter2")}},
		&corev1.Service{Metadata: &metav1.ObjectMeta{Name: "web-front", Namespace: "ns"}, Spec: &corev1.ServiceSpec{
			ClusterIp: "127.96.0.10",
			Ports:     []*corev1.ServicePort{{Name: "http", Port: 80}, {Name: "dns", Port: 53, Protocol: "UDP"}},
		}},
		&corev1.Service{Metadata: &metav1.ObjectMeta{Name: "headless", Namespace: "ns"}, Spec: &corev1.ServiceSpec{
			ClusterIp: "None", Ports: []*corev1.ServicePort{{Port: 80}},
		}},
		&corev1.Service{Metadata: &metav1.ObjectMeta{Name: "kubernetes", Namespace: "default"}, Spec: &corev1.ServiceSpec{
			ClusterIp: "127.96.0.1", Ports: []*corev1.ServicePort{{Name: "https", Port: 443}},
		}},
		&corev1.Service{Metadata: &metav1.ObjectMeta{Name: "other", Namespace: "default"}, Spec: &corev1.ServiceSpec{
			ClusterIp: "127.96.0.2", Ports: []*corev1.ServicePort{{Port: 8080}},
		}},
	)
}

func envPod(c *corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			Name: "p", Namespace: "ns", Uid: "uid-1",
			Labels: map[string]string{"app": "web"}, Annotations: map[string]string{"team": "core"},
		},
		Spec: &corev1.PodSpec{NodeName: "node-1", ServiceAccountName: "sa", EnableServiceLinks: boolp(false), Containers: []*corev1.Container{c}},
	}
}

func fieldRef(name, path string) *corev1.EnvVar {
	return &corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

func TestContainerEnv(t *testing.T) {
	srv := envObjects(t)
	m, err := New(Config{Runtime: newFakeRuntime(nil), Client: srv.Client(), NodeName: "node-1", NodeIP: "127.0.0.2",
		NodeAllocatable: map[string]string{"cpu": "4", "memory": "8Gi"}})
	require.NoError(t, err)
	kubernetesVars := map[string]string{
		"KUBERNETES_SERVICE_HOST": "127.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBERNETES_SERVICE_PORT_HTTPS": "443",
		"KUBERNETES_PORT": "tcp://127.96.0.1:443", "KUBERNETES_PORT_443_TCP": "tcp://127.96.0.1:443",
		"KUBERNETES_PORT_443_TCP_PROTO": "tcp", "KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": "127.96.0.1",
	}
	tests := []struct {
		name    string
		c       *corev1.Container
		links   bool
		want    map[string]string
		absent  []string
		wantErr string
		command []string
	}{
		{name: "plain values", c: &corev1.Container{Env: []*corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "EMPTY"}}},
			want: map[string]string{"A": "1", "EMPTY": ""}},
		{name: "downward API", c: &corev1.Container{Env: []*corev1.EnvVar{
			fieldRef("NAME", "metadata.name"), fieldRef("NS", "metadata.namespace"), fieldRef("UID", "metadata.uid"),
			fieldRef("APP", "metadata.labels['app']"), fieldRef("TEAM", "metadata.annotations['team']"),
			fieldRef("NODE", "spec.nodeName"), fieldRef("SA", "spec.serviceAccountName"),
			fieldRef("POD_IP", "status.podIP"), fieldRef("POD_IPS", "status.podIPs"), fieldRef("HOST_IP", "status.hostIP"),
		}}, want: map[string]string{
			"NAME": "p", "NS": "ns", "UID": "uid-1", "APP": "web", "TEAM": "core", "NODE": "node-1", "SA": "sa",
			"POD_IP": "127.0.0.9", "POD_IPS": "127.0.0.9", "HOST_IP": "127.0.0.2",
		}},
		{name: "unsupported field", c: &corev1.Container{Env: []*corev1.EnvVar{fieldRef("X", "spec.hostname")}}, wantErr: `env X: unsupported fieldRef path "spec.hostname"`},
		{name: "resources with divisors", c: &corev1.Container{
			Resources: &corev1.ResourceRequirements{Limits: map[string]string{"cpu": "1500m", "memory": "64Mi"}, Requests: map[string]string{"cpu": "250m"}},
			Env: []*corev1.EnvVar{
				{Name: "CPU_LIMIT", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
				{Name: "CPU_LIMIT_M", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: "1m"}}},
				{Name: "CPU_REQ_M", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: "1m"}}},
				{Name: "MEM_MI", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: "1Mi"}}},
				{Name: "MEM_REQ", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.memory"}}},
			},
		}, want: map[string]string{"CPU_LIMIT": "2", "CPU_LIMIT_M": "1500", "CPU_REQ_M": "250", "MEM_MI": "64", "MEM_REQ": "67108864"}},
		{name: "unset limit reads the node's allocatable", c: &corev1.Container{Env: []*corev1.EnvVar{
			{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
			{Name: "MEM_GI", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: "1Gi"}}},
		}}, want: map[string]string{"CPU": "4", "MEM_GI": "8"}},
		{name: "configmap and secret keys", c: &corev1.Container{Env: []*corev1.EnvVar{
			{Name: "COLOR", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm", Key: "color"}}},
			{Name: "PW", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Name: "sec", Key: "password"}}},
			{Name: "OPT_KEY", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm", Key: "nope", Optional: boolp(true)}}},
			{Name: "OPT_MAP", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Name: "gone", Key: "k", Optional: boolp(true)}}},
		}}, want: map[string]string{"COLOR": "blue", "PW": "hunter2"}, absent: []string{"OPT_KEY", "OPT_MAP"}},
		{name: "missing key", c: &corev1.Container{Env: []*corev1.EnvVar{
			{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm", Key: "nope"}}},
		}}, wantErr: "env X: couldn't find key nope in ConfigMap ns/cm"},
		{name: "missing secret", c: &corev1.Container{Env: []*corev1.EnvVar{
			{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Name: "gone", Key: "k"}}},
		}}, wantErr: `env X: secret "gone"`},
		{name: "envFrom with prefix skips invalid names", c: &corev1.Container{EnvFrom: []*corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{Name: "cm"}, Prefix: "CM_"},
			{SecretRef: &corev1.SecretEnvSource{Name: "sec"}},
			{SecretRef: &corev1.SecretEnvSource{Name: "gone", Optional: boolp(true)}},
		}}, want: map[string]string{"CM_color": "blue", "CM_size": "L", "password": "hunter2"}, absent: []string{"CM_bad key"}},
		{name: "env overrides envFrom", c: &corev1.Container{
			EnvFrom: []*corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{Name: "cm"}}},
			Env:     []*corev1.EnvVar{{Name: "color", Value: "red"}},
		}, want: map[string]string{"color": "red"}},
		{name: "missing envFrom map", c: &corev1.Container{EnvFrom: []*corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{Name: "gone"}}}},
			wantErr: `configmap "gone"`},
		{name: "expansion", c: &corev1.Container{
			Env: []*corev1.EnvVar{
				{Name: "A", Value: "a"},
				{Name: "B", Value: "$(A)-b"},
				{Name: "C", Value: "$(B)-$(D)-$$(A)"},
				{Name: "D", Value: "d"},
				{Name: "SVC", Value: "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"},
			},
			Command: []string{"run", "$(C)"}, Args: []string{"--at=$(SVC)", "$(UNKNOWN)", "$$(A)"},
		}, want: map[string]string{"B": "a-b", "C": "a-b-$(D)-$(A)", "SVC": "https://127.96.0.1:443"},
			command: []string{"run", "a-b-$(D)-$(A)", "--at=https://127.96.0.1:443", "$(UNKNOWN)", "$(A)"}},
		{name: "service links off: only the kubernetes service", c: &corev1.Container{}, want: kubernetesVars,
			absent: []string{"WEB_FRONT_SERVICE_HOST", "OTHER_SERVICE_HOST"}},
		{name: "service links on", links: true, c: &corev1.Container{Env: []*corev1.EnvVar{{Name: "WEB_FRONT_SERVICE_PORT", Value: "mine"}}}, want: map[string]string{
			"WEB_FRONT_SERVICE_HOST": "127.96.0.10", "WEB_FRONT_SERVICE_PORT": "mine", "WEB_FRONT_SERVICE_PORT_HTTP": "80",
			"WEB_FRONT_SERVICE_PORT_DNS": "53", "WEB_FRONT_PORT": "tcp://127.96.0.10:80",
			"WEB_FRONT_PORT_80_TCP": "tcp://127.96.0.10:80", "WEB_FRONT_PORT_80_TCP_PROTO": "tcp", "WEB_FRONT_PORT_80_TCP_PORT": "80",
			"WEB_FRONT_PORT_80_TCP_ADDR": "127.96.0.10", "WEB_FRONT_PORT_53_UDP": "udp://127.96.0.10:53", "WEB_FRONT_PORT_53_UDP_PROTO": "udp",
			"KUBERNETES_SERVICE_HOST": "127.96.0.1",
		}, absent: []string{"HEADLESS_SERVICE_HOST", "OTHER_SERVICE_HOST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Name = "app"
			pod := envPod(tt.c)
			if tt.links {
				pod.Spec.EnableServiceLinks = nil
			}
			env, err := m.containerEnv(context.Background(), pod, tt.c, "127.0.0.9")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			got := map[string]string{}
			for _, kv := range env {
				_, dup := got[kv.Key]
				require.False(t, dup, "%s set twice", kv.Key)
				got[kv.Key] = kv.Value
			}
			for k, v := range tt.want {
				require.Contains(t, got, k)
				require.Equal(t, v, got[k], k)
			}
			for _, k := range tt.absent {
				require.NotContains(t, got, k)
			}
			if tt.command != nil {
				cmd, args := expandCommand(tt.c, env)
				require.Equal(t, tt.command, append(cmd, args...))
			}
		})
	}
}

// TestEnvReachesTheRuntime: the resolved environment and expanded command go into CreateContainer.
func TestEnvReachesTheRuntime(t *testing.T) {
	h := newHarness(t, nil, &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm", Namespace: "default"}, Data: map[string]string{"k": "v"}})
	c := ctr("app")
	c.Env = []*corev1.EnvVar{{Name: "K", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm", Key: "k"}}}, fieldRef("ME", "metadata.name")}
	c.Command = []string{"echo", "$(K)", "$(ME)"}
	h.add(newPod("p", c))
	h.eventually("p", "Running", phase(PhaseRunning))
	list, err := h.rt.ListContainers(context.Background(), &cri.ContainerFilter{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	st, err := h.rt.ContainerStatus(context.Background(), list[0].ID)
	require.NoError(t, err)
	require.Equal(t, "echo v p", st.Annotations["command"])
	require.Contains(t, st.Annotations["env"], "K=v\nME=p")
}

// TestCachedObjects: service variables come from the informer's cache once it synced.
func TestCachedObjects(t *testing.T) {
	srv := envObjects(t)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	objs := NewCachedObjects(srv.Client(), f)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
	m, err := New(Config{Runtime: newFakeRuntime(nil), Objects: objs})
	require.NoError(t, err)
	c := &corev1.Container{Name: "app", Env: []*corev1.EnvVar{{Name: "COLOR", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: "cm", Key: "color"}}}}}
	pod := envPod(c)
	pod.Spec.EnableServiceLinks = nil
	lists := srv.Calls(clienttest.List, "services")
	env, err := m.containerEnv(ctx, pod, c, "")
	require.NoError(t, err)
	require.Contains(t, env, cri.KeyValue{Key: "WEB_FRONT_SERVICE_HOST", Value: "127.96.0.10"})
	require.Contains(t, env, cri.KeyValue{Key: "KUBERNETES_SERVICE_HOST", Value: "127.96.0.1"})
	require.Contains(t, env, cri.KeyValue{Key: "COLOR", Value: "blue"})
	require.Equal(t, lists, srv.Calls(clienttest.List, "services"), "services come from the cache")
}
