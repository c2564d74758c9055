package pods

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The service every pod learns about whatever its enableServiceLinks says.
const (
	masterServiceNamespace = "default"
	masterServiceName      = "kubernetes"
)

var envVarName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// envList is an environment under construction: names in first-set order, later sets win.
type envList struct {
	names  []string
	values map[string]string
}

func (e *envList) set(name, value string) {
	if _, ok := e.values[name]; !ok {
		e.names = append(e.names, name)
	}
	e.values[name] = value
}

// containerEnv builds c's environment as Kubernetes' kubelet does: envFrom sources first, then
// env entries in order (values expanded against what precedes them and the service variables;
// valueFrom resolved), then the service variables no entry overrides. podIP is the sandbox's.
func (m *Manager) containerEnv(ctx context.Context, pod *corev1.Pod, c *corev1.Container, podIP string) ([]cri.KeyValue, error) {
	ns := pod.GetMetadata().GetNamespace()
	services := m.serviceEnv(ctx, pod)
	env := &envList{values: map[string]string{}}

	for _, from := range c.GetEnvFrom() {
		var data map[string]string
		var kind, name string
		switch {
		case from.GetConfigMapRef() != nil:
			kind, name = "configMap", from.GetConfigMapRef().GetName()
			cm, err := m.configMap(ctx, ns, name)
			if err != nil {
				if apierrors.IsNotFound(err) && from.GetConfigMapRef().GetOptional() {
					continue
				}
				return nil, err
			}
			data = cm.GetData()
		case from.GetSecretRef() != nil:
			kind, name = "secret", from.GetSecretRef().GetName()
			s, err := m.secret(ctx, ns, name)
			if err != nil {
				if apierrors.IsNotFound(err) && from.GetSecretRef().GetOptional() {
					continue
				}
				return nil, err
			}
			data = secretData(s)
		default:
			continue
		}
		var invalid []string
		for _, k := range slices.Sorted(mapKeys(data)) {
			key := from.GetPrefix() + k
			if !envVarName.MatchString(key) {
				invalid = append(invalid, key)
				continue
			}
			env.set(key, data[k])
		}
		if len(invalid) > 0 {
			m.cfg.Recorder.Eventf(pod, events.TypeWarning, "InvalidEnvironmentVariableNames",
				"Keys [%s] from the EnvFrom %s %s/%s were skipped since they are considered invalid environment variable names.",
				strings.Join(invalid, ", "), kind, ns, name)
		}
	}

	for _, e := range c.GetEnv() {
		value := e.GetValue()
		switch {
		case value != "":
			value = expand(value, lookupIn(env.values, services.values))
		case e.GetValueFrom() != nil:
			v, ok, err := m.valueFrom(ctx, pod, c, e.GetValueFrom(), podIP)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", e.GetName(), err)
			}
			if !ok {
				continue // an optional source that is missing
			}
			value = v
		}
		env.set(e.GetName(), value)
	}

	for _, name := range services.names {
		if _, ok := env.values[name]; !ok {
			env.set(name, services.values[name])
		}
	}
	out := make([]cri.KeyValue, 0, len(env.names))
	for _, name := range env.names {
		out = append(out, cri.KeyValue{Key: name, Value: env.values[name]})
	}
	return out, nil
}

// expandCommand expands $(VAR) references in c's command and args against env.
func expandCommand(c *corev1.Container, env []cri.KeyValue) (command, args []string) {
	vars := make(map[string]string, len(env))
	for _, kv := range env {
		vars[kv.Key] = kv.Value
	}
	lookup := lookupIn(vars)
	for _, s := range c.GetCommand() {
		command = append(command, expand(s, lookup))
	}
	for _, s := range c.GetArgs() {
		args = append(args, expand(s, lookup))
	}
	return command, args
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func secretData(s *corev1.Secret) map[string]string {
	out := make(map[string]string, len(s.GetData())+len(s.GetStringData()))
	for k, v := range s.GetData() {
		out[k] = string(v)
	}
	for k, v := range s.GetStringData() {
		out[k] = v
	}
	return out
}

var errNoObjects = errors.New("no API server to read it from")

func (m *Manager) configMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if m.cfg.Objects == nil {
		return nil, fmt.Errorf("configmap %q: %w", name, errNoObjects)
	}
	cm, err := m.cfg.Objects.ConfigMap(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("configmap %q: %w", name, err)
	}
	return cm, nil
}

func (m *Manager) secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	if m.cfg.Objects == nil {
		return nil, fmt.Errorf("secret %q: %w", name, errNoObjects)
	}
	s, err := m.cfg.Objects.Secret(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	return s, nil
}

// valueFrom resolves one env source. ok is false for a missing optional ConfigMap, Secret or key.
func (m *Manager) valueFrom(ctx context.Context, pod *corev1.Pod, c *corev1.Container, src *corev1.EnvVarSource, podIP string) (string, bool, error) {
	ns := pod.GetMetadata().GetNamespace()
	switch {
	case src.GetFieldRef() != nil:
		v, err := m.podField(pod, src.GetFieldRef().GetFieldPath(), podIP)
		return v, err == nil, err
	case src.GetResourceFieldRef() != nil:
		v, err := m.resourceField(pod, c, src.GetResourceFieldRef())
		return v, err == nil, err
	case src.GetConfigMapKeyRef() != nil:
		ref := src.GetConfigMapKeyRef()
		cm, err := m.configMap(ctx, ns, ref.GetName())
		if err != nil {
			if apierrors.IsNotFound(err) && ref.GetOptional() {
				return "", false, nil
			}
			return "", false, err
		}
		v, ok := cm.GetData()[ref.GetKey()]
		if !ok {
			if b, found := cm.GetBinaryData()[ref.GetKey()]; found {
				return string(b), true, nil
			}
			if ref.GetOptional() {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.GetKey(), ns, ref.GetName())
		}
		return v, true, nil
	case src.GetSecretKeyRef() != nil:
		ref := src.GetSecretKeyRef()
		s, err := m.secret(ctx, ns, ref.GetName())
		if err != nil {
			if apierrors.IsNotFound(err) && ref.GetOptional() {
				return "", false, nil
			}
			return "", false, err
		}
		v, ok := secretData(s)[ref.GetKey()]
		if !ok {
			if ref.GetOptional() {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.GetKey(), ns, ref.GetName())
		}
		return v, true, nil
	}
	return "", false, errors.New("valueFrom names no source")
}

// podField resolves a downward-API field path.
func (m *Manager) podField(pod *corev1.Pod, path, podIP string) (string, error) {
	md := pod.GetMetadata()
	if key, ok := subscript(path, "metadata.labels"); ok {
		return md.GetLabels()[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return md.GetAnnotations()[key], nil
	}
	switch path {
	case "metadata.name":
		return md.GetName(), nil
	case "metadata.namespace":
		return md.GetNamespace(), nil
	case "metadata.uid":
		return md.GetUid(), nil
	case "spec.nodeName":
		if n := pod.GetSpec().GetNodeName(); n != "" {
			return n, nil
		}
		return m.cfg.NodeName, nil
	case "spec.serviceAccountName":
		return pod.GetSpec().GetServiceAccountName(), nil
	case "status.hostIP", "status.hostIPs":
		return m.cfg.NodeIP, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	}
	return "", fmt.Errorf("unsupported fieldRef path %q", path)
}

// subscript parses <prefix>['key'].
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

// resourceField resolves a resourceFieldRef: a container's limit or request divided by the
// divisor, rounded up. An unset limit reads as the node's allocatable amount when Config gives it;
// an unset request reads as the limit.
func (m *Manager) resourceField(pod *corev1.Pod, c *corev1.Container, ref *corev1.ResourceFieldSelector) (string, error) {
	target := c
	if name := ref.GetContainerName(); name != "" && name != c.GetName() {
		target = nil
		for _, o := range append(append([]*corev1.Container{}, pod.GetSpec().GetInitContainers()...), pod.GetSpec().GetContainers()...) {
			if o.GetName() == name {
				target = o
			}
		}
		if target == nil {
			return "", fmt.Errorf("resourceFieldRef: no container %q", name)
		}
	}
	kind, res, ok := strings.Cut(ref.GetResource(), ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resourceFieldRef resource %q", ref.GetResource())
	}
	lim := target.GetResources().GetLimits()
	q, found := quantity(lim, res)
	if !found {
		q, found = quantity(m.cfg.NodeAllocatable, res)
	}
	if kind == "requests" {
		if r, ok := quantity(target.GetResources().GetRequests(), res); ok {
			q, found = r, true
		} else if _, ok := quantity(lim, res); !ok {
			q, found = resource.Quantity{}, false
		}
	}
	if !found {
		q = resource.Quantity{}
	}
	divisor := resource.MustParse("1")
	if d := ref.GetDivisor(); d != "" {
		p, err := resource.Parse(d)
		if err != nil || p.Sign() <= 0 {
			return "", fmt.Errorf("resourceFieldRef: bad divisor %q", d)
		}
		divisor = p
	}
	var v float64
	if res == "cpu" {
		v = math.Ceil(float64(q.MilliValue()) / float64(divisor.MilliValue()))
	} else {
		v = math.Ceil(q.AsApproximateFloat64() / divisor.AsApproximateFloat64())
	}
	return strconv.FormatInt(int64(v), 10), nil
}

// serviceEnv is the service environment of pod: the master service always, the services of the
// pod's namespace unless enableServiceLinks is false. Services that cannot be listed are logged and
// left out, so a pod can start before (or without) an API server.
func (m *Manager) serviceEnv(ctx context.Context, pod *corev1.Pod) *envList {
	env := &envList{values: map[string]string{}}
	if m.cfg.Objects == nil {
		return env
	}
	ns := pod.GetMetadata().GetNamespace()
	links := pod.GetSpec().EnableServiceLinks == nil || pod.GetSpec().GetEnableServiceLinks()
	byName := map[string]*corev1.Service{}
	if links {
		list, err := m.cfg.Objects.Services(ctx, ns)
		if err != nil {
			m.log.Warn("list services for the environment", zap.String("namespace", ns), zap.Error(err))
		}
		for _, s := range list {
			byName[s.GetMetadata().GetName()] = s
		}
	}
	if _, ok := byName[masterServiceName]; !ok || ns != masterServiceNamespace {
		list, err := m.cfg.Objects.Services(ctx, masterServiceNamespace)
		if err != nil && ns != masterServiceNamespace {
			m.log.Warn("list services for the environment", zap.String("namespace", masterServiceNamespace), zap.Error(err))
		}
		for _, s := range list {
			if s.GetMetadata().GetName() == masterServiceName {
				if _, taken := byName[masterServiceName]; !taken {
					byName[masterServiceName] = s
				}
			}
		}
	}
	for _, name := range slices.Sorted(mapKeys(byName)) {
		addServiceVars(env, byName[name])
	}
	return env
}

// envName turns a service or port name into an environment variable name part.
func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

// addServiceVars adds a service's <NAME>_SERVICE_HOST/_PORT variables and its Docker link style
// variables; a headless service or one without ports adds nothing.
func addServiceVars(env *envList, svc *corev1.Service) {
	ip := svc.GetSpec().GetClusterIp()
	ports := svc.GetSpec().GetPorts()
	if ip == "" || ip == "None" || len(ports) == 0 {
		return
	}
	prefix := envName(svc.GetMetadata().GetName())
	env.set(prefix+"_SERVICE_HOST", ip)
	env.set(prefix+"_SERVICE_PORT", strconv.Itoa(int(ports[0].GetPort())))
	for _, p := range ports {
		if p.GetName() != "" {
			env.set(prefix+"_SERVICE_PORT_"+envName(p.GetName()), strconv.Itoa(int(p.GetPort())))
		}
	}
	for i, p := range ports {
		proto := p.GetProtocol()
		if proto == "" {
			proto = "TCP"
		}
		lower := strings.ToLower(proto)
		port := strconv.Itoa(int(p.GetPort()))
		url := lower + "://" + net.JoinHostPort(ip, port)
		if i == 0 {
			env.set(prefix+"_PORT", url)
		}
		pp := prefix + "_PORT_" + port + "_" + strings.ToUpper(proto)
		env.set(pp, url)
		env.set(pp+"_PROTO", lower)
		env.set(pp+"_PORT", port)
		env.set(pp+"_ADDR", ip)
	}
}
