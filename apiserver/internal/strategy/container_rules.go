package strategy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// podContext is what a container's checks need to know about the rest of the pod.
type podContext struct {
	volumes     map[string]*corev1.Volume
	containers  []string
	hostNetwork bool
	gracePeriod int64
}

// validateContainers checks a pod's init containers and containers; their names must be unique
// across both lists.
func validateContainers(spec *corev1.PodSpec, pc *podContext, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.GetContainers()) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := map[string]bool{}
	hostPorts := map[string]bool{}
	for i, c := range spec.GetInitContainers() {
		cp := p.Child("initContainers").Index(i)
		errs = append(errs, validateContainer(c, pc, cp, names, hostPorts)...)
		if c.RestartPolicy != nil && c.GetRestartPolicy() != "Always" {
			errs = append(errs, field.NotSupported(cp.Child("restartPolicy"), c.GetRestartPolicy(), []string{"Always"}))
		}
		if c.GetRestartPolicy() != "Always" {
			// Only sidecars (restartPolicy Always) may have probes and lifecycle hooks.
			for _, f := range []struct {
				name string
				set  bool
			}{
				{"livenessProbe", c.LivenessProbe != nil},
				{"readinessProbe", c.ReadinessProbe != nil},
				{"startupProbe", c.StartupProbe != nil},
				{"lifecycle", c.Lifecycle != nil},
			} {
				if f.set {
					errs = append(errs, field.Forbidden(cp.Child(f.name), "may not be set for init containers without restartPolicy=Always"))
				}
			}
		}
	}
	for i, c := range spec.GetContainers() {
		cp := p.Child("containers").Index(i)
		errs = append(errs, validateContainer(c, pc, cp, names, hostPorts)...)
		if c.RestartPolicy != nil {
			errs = append(errs, field.Forbidden(cp.Child("restartPolicy"), "may not be set for non-init containers"))
		}
	}
	return errs
}

func validateContainer(c *corev1.Container, pc *podContext, p *field.Path, names, hostPorts map[string]bool) field.ErrorList {
	var errs field.ErrorList
	if name := c.GetName(); name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		errs = append(errs, dns1123Label(p.Child("name"), name)...)
		if names[name] {
			errs = append(errs, field.Duplicate(p.Child("name"), name))
		}
		names[name] = true
	}
	switch img := c.GetImage(); {
	case img == "":
		errs = append(errs, field.Required(p.Child("image"), ""))
	case img != strings.TrimSpace(img):
		errs = append(errs, field.Invalid(p.Child("image"), img, "must not have leading or trailing whitespace"))
	}
	errs = append(errs, oneOf(p.Child("imagePullPolicy"), c.GetImagePullPolicy(), true, "Always", "IfNotPresent", "Never")...)
	errs = append(errs, oneOf(p.Child("terminationMessagePolicy"), c.GetTerminationMessagePolicy(), true, "File", "FallbackToLogsOnError")...)
	errs = append(errs, validateContainerPorts(c.GetPorts(), pc, p.Child("ports"), hostPorts)...)
	errs = append(errs, validateEnv(c.GetEnv(), pc, p.Child("env"))...)
	errs = append(errs, validateEnvFrom(c.GetEnvFrom(), p.Child("envFrom"))...)
	errs = append(errs, validateResourceRequirements(c.GetResources(), p.Child("resources"))...)
	errs = append(errs, validateVolumeMounts(c, pc, p)...)
	errs = append(errs, validateProbe(c.LivenessProbe, p.Child("livenessProbe"), true)...)
	errs = append(errs, validateProbe(c.ReadinessProbe, p.Child("readinessProbe"), false)...)
	errs = append(errs, validateProbe(c.StartupProbe, p.Child("startupProbe"), true)...)
	if c.ReadinessProbe != nil && c.ReadinessProbe.TerminationGracePeriodSeconds != nil {
		errs = append(errs, field.Invalid(p.Child("readinessProbe", "terminationGracePeriodSeconds"),
			c.ReadinessProbe.GetTerminationGracePeriodSeconds(), "must not be set for readinessProbes"))
	}
	if lc := c.Lifecycle; lc != nil {
		errs = append(errs, validateLifecycleHandler(lc.PostStart, pc, p.Child("lifecycle", "postStart"))...)
		errs = append(errs, validateLifecycleHandler(lc.PreStop, pc, p.Child("lifecycle", "preStop"))...)
	}
	errs = append(errs, validateSecurityContext(c.SecurityContext, p.Child("securityContext"))...)
	return errs
}

func validateContainerPorts(ports []*corev1.ContainerPort, pc *podContext, p *field.Path, hostPorts map[string]bool) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		pp := p.Index(i)
		if n := port.GetName(); n != "" {
			errs = append(errs, portName(pp.Child("name"), n)...)
			if names[n] {
				errs = append(errs, field.Duplicate(pp.Child("name"), n))
			}
			names[n] = true
		}
		if port.GetContainerPort() == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), ""))
		} else {
			errs = append(errs, portNumber(pp.Child("containerPort"), port.GetContainerPort())...)
		}
		if port.GetHostPort() != 0 {
			errs = append(errs, portNumber(pp.Child("hostPort"), port.GetHostPort())...)
			key := fmt.Sprintf("%s/%s/%d", port.GetProtocol(), port.GetHostIp(), port.GetHostPort())
			if hostPorts[key] {
				errs = append(errs, field.Duplicate(pp.Child("hostPort"), key))
			}
			hostPorts[key] = true
		}
		if pc.hostNetwork && port.GetHostPort() != 0 && port.GetHostPort() != port.GetContainerPort() {
			errs = append(errs, field.Invalid(pp.Child("hostPort"), port.GetHostPort(), "must match `containerPort` when `hostNetwork` is true"))
		}
		errs = append(errs, oneOf(pp.Child("protocol"), port.GetProtocol(), true, "SCTP", "TCP", "UDP")...)
		if ip := port.GetHostIp(); ip != "" {
			errs = append(errs, ipAddress(pp.Child("hostIP"), ip)...)
		}
	}
	return errs
}

// validateEnvVarName checks an environment variable name as Kubernetes 1.32 does (relaxed rules).
func validateEnvVarName(p *field.Path, name string) field.ErrorList {
	for _, r := range name {
		if r < ' ' || r > '~' || r == '=' {
			return field.ErrorList{field.Invalid(p, name,
				"a valid environment variable name must consist only of printable ASCII characters other than '='")}
		}
	}
	return nil
}

var (
	envFieldPaths    = []string{"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"}
	volumeFieldPaths = []string{"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"}
	// subscriptRE matches metadata.labels['key'] and metadata.annotations['key'].
	subscriptRE = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.*)'\]$`)
)

func validateEnv(env []*corev1.EnvVar, pc *podContext, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, e := range env {
		ep := p.Index(i)
		if e.GetName() == "" {
			errs = append(errs, field.Required(ep.Child("name"), ""))
		} else {
			errs = append(errs, validateEnvVarName(ep.Child("name"), e.GetName())...)
		}
		vf := e.GetValueFrom()
		if vf == nil {
			continue
		}
		vp := ep.Child("valueFrom")
		if e.GetValue() != "" {
			errs = append(errs, field.Invalid(vp, "", "may not be specified when `value` is not empty"))
		}
		n := 0
		if vf.FieldRef != nil {
			n++
			errs = append(errs, validateFieldRef(vf.FieldRef, vp.Child("fieldRef"), envFieldPaths)...)
		}
		if vf.ResourceFieldRef != nil {
			n++
			errs = append(errs, validateResourceFieldRef(vf.ResourceFieldRef, vp.Child("resourceFieldRef"), pc.containers)...)
		}
		if r := vf.ConfigMapKeyRef; r != nil {
			n++
			errs = append(errs, validateKeyRef(r.GetName(), r.GetKey(), vp.Child("configMapKeyRef"))...)
		}
		if r := vf.SecretKeyRef; r != nil {
			n++
			errs = append(errs, validateKeyRef(r.GetName(), r.GetKey(), vp.Child("secretKeyRef"))...)
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(vp, "", "may not have more than one field specified at a time"))
		}
	}
	return errs
}

func validateKeyRef(name, key string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		errs = append(errs, dns1123Subdomain(p.Child("name"), name)...)
	}
	if key == "" {
		errs = append(errs, field.Required(p.Child("key"), ""))
	} else {
		errs = append(errs, configMapKey(p.Child("key"), key)...)
	}
	return errs
}

func validateFieldRef(f *corev1.ObjectFieldSelector, p *field.Path, allowed []string) field.ErrorList {
	var errs field.ErrorList
	switch v := f.GetApiVersion(); v {
	case "":
		errs = append(errs, field.Required(p.Child("apiVersion"), ""))
	case "v1":
	default:
		errs = append(errs, field.NotSupported(p.Child("apiVersion"), v, []string{"v1"}))
	}
	fp := f.GetFieldPath()
	if fp == "" {
		return append(errs, field.Required(p.Child("fieldPath"), ""))
	}
	if m := subscriptRE.FindStringSubmatch(fp); m != nil {
		key := m[2]
		if m[1] == "annotations" {
			key = strings.ToLower(key)
		}
		for _, msg := range validation.IsQualifiedName(key) {
			errs = append(errs, field.Invalid(p.Child("fieldPath"), fp, msg))
		}
		return errs
	}
	if !slices.Contains(allowed, fp) {
		errs = append(errs, field.NotSupported(p.Child("fieldPath"), fp, allowed))
	}
	return errs
}

var (
	resourceFieldRefResources = []string{"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"}
	cpuDivisors               = []string{"1m", "1"}
	byteDivisors              = []string{"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"}
)

// validateResourceFieldRef checks a reference to a container's resource. containers is nil for
// volumes, where the container must be named; for environment variables it may be omitted.
func validateResourceFieldRef(r *corev1.ResourceFieldSelector, p *field.Path, containers []string) field.ErrorList {
	var errs field.ErrorList
	switch c := r.GetContainerName(); {
	case c == "" && containers == nil:
		errs = append(errs, field.Required(p.Child("containerName"), ""))
	case c != "" && containers != nil && !slices.Contains(containers, c):
		errs = append(errs, field.NotSupported(p.Child("containerName"), c, containers))
	}
	res := r.GetResource()
	switch {
	case res == "":
		errs = append(errs, field.Required(p.Child("resource"), ""))
	case !slices.Contains(resourceFieldRefResources, res) && !strings.HasPrefix(res, "limits.hugepages-") && !strings.HasPrefix(res, "requests.hugepages-"):
		errs = append(errs, field.NotSupported(p.Child("resource"), res, resourceFieldRefResources))
	}
	if d := r.GetDivisor(); d != "" {
		dp := p.Child("divisor")
		switch {
		case strings.HasSuffix(res, ".cpu"):
			if !slices.Contains(cpuDivisors, d) {
				errs = append(errs, field.Invalid(dp, d, "only divisor's values 1m and 1 are supported with the cpu resource"))
			}
		case strings.HasSuffix(res, ".memory"):
			if !slices.Contains(byteDivisors, d) {
				errs = append(errs, field.Invalid(dp, d, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"))
			}
		case strings.HasSuffix(res, ".ephemeral-storage"):
			if !slices.Contains(byteDivisors, d) {
				errs = append(errs, field.Invalid(dp, d, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"))
			}
		default:
			errs = append(errs, validateQuantity(dp, d)...)
		}
	}
	return errs
}

func validateEnvFrom(from []*corev1.EnvFromSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, f := range from {
		fp := p.Index(i)
		if f.GetPrefix() != "" {
			errs = append(errs, validateEnvVarName(fp.Child("prefix"), f.GetPrefix())...)
		}
		n := 0
		if r := f.ConfigMapRef; r != nil {
			n++
			if r.GetName() == "" {
				errs = append(errs, field.Required(fp.Child("configMapRef", "name"), ""))
			} else {
				errs = append(errs, dns1123Subdomain(fp.Child("configMapRef", "name"), r.GetName())...)
			}
		}
		if r := f.SecretRef; r != nil {
			n++
			if r.GetName() == "" {
				errs = append(errs, field.Required(fp.Child("secretRef", "name"), ""))
			} else {
				errs = append(errs, dns1123Subdomain(fp.Child("secretRef", "name"), r.GetName())...)
			}
		}
		switch {
		case n == 0:
			errs = append(errs, field.Invalid(fp, "", "must specify one of: `configMapRef` or `secretRef`"))
		case n > 1:
			errs = append(errs, field.Invalid(fp, "", "may not have more than one field specified at a time"))
		}
	}
	return errs
}

func validateVolumeMounts(c *corev1.Container, pc *podContext, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	privileged := c.GetSecurityContext().GetPrivileged()
	paths := map[string]bool{}
	for i, m := range c.GetVolumeMounts() {
		mp := p.Child("volumeMounts").Index(i)
		switch name := m.GetName(); {
		case name == "":
			errs = append(errs, field.Required(mp.Child("name"), ""))
		case pc.volumes[name] == nil:
			errs = append(errs, field.NotFound(mp.Child("name"), name))
		}
		switch path := m.GetMountPath(); {
		case path == "":
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		case paths[path]:
			errs = append(errs, field.Invalid(mp.Child("mountPath"), path, "must be unique"))
		}
		paths[m.GetMountPath()] = true
		if m.GetSubPath() != "" {
			errs = append(errs, validateLocalPath(mp.Child("subPath"), m.GetSubPath())...)
		}
		if m.GetSubPathExpr() != "" {
			if m.GetSubPath() != "" {
				errs = append(errs, field.Invalid(mp.Child("subPathExpr"), m.GetSubPathExpr(), "subPathExpr and subPath are mutually exclusive"))
			}
			errs = append(errs, validateLocalPath(mp.Child("subPathExpr"), m.GetSubPathExpr())...)
		}
		errs = append(errs, optionalOneOf(mp.Child("mountPropagation"), m.MountPropagation, "Bidirectional", "HostToContainer", "None")...)
		if m.GetMountPropagation() == "Bidirectional" && !privileged {
			errs = append(errs, field.Forbidden(mp.Child("mountPropagation"), "Bidirectional mount propagation is available only to privileged containers"))
		}
		if m.RecursiveReadOnly != nil {
			rp := mp.Child("recursiveReadOnly")
			errs = append(errs, optionalOneOf(rp, m.RecursiveReadOnly, "Disabled", "Enabled", "IfPossible")...)
			if m.GetRecursiveReadOnly() != "Disabled" {
				if !m.GetReadOnly() {
					errs = append(errs, field.Forbidden(rp, "may only be specified when readOnly is true"))
				}
				if m.MountPropagation != nil && m.GetMountPropagation() != "None" {
					errs = append(errs, field.Forbidden(rp, "may only be specified when mountPropagation is None or not specified"))
				}
			}
		}
	}
	for i, d := range c.GetVolumeDevices() {
		dp := p.Child("volumeDevices").Index(i)
		switch name := d.GetName(); {
		case name == "":
			errs = append(errs, field.Required(dp.Child("name"), ""))
		case pc.volumes[name] == nil:
			errs = append(errs, field.NotFound(dp.Child("name"), name))
		case pc.volumes[name].PersistentVolumeClaim == nil && pc.volumes[name].Ephemeral == nil:
			errs = append(errs, field.Invalid(dp.Child("name"), name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"))
		}
		switch path := d.GetDevicePath(); {
		case path == "":
			errs = append(errs, field.Required(dp.Child("devicePath"), ""))
		case paths[path]:
			errs = append(errs, field.Invalid(dp.Child("devicePath"), path, "must not be the same as an existing volume mount or device path"))
		}
		paths[d.GetDevicePath()] = true
	}
	return errs
}

func validateProbe(pr *corev1.Probe, p *field.Path, successMustBeOne bool) field.ErrorList {
	if pr == nil {
		return nil
	}
	one := exclusive{p: p, msg: "may not specify more than 1 handler type"}
	errs := validateHandler(pr.Exec, pr.HttpGet, pr.TcpSocket, &one)
	if pr.Grpc != nil && one.take("grpc") {
		errs = append(errs, portNumber(p.Child("grpc", "port"), pr.Grpc.GetPort())...)
	}
	if one.n == 0 {
		errs = append(errs, field.Required(p, "must specify a handler type"))
	}
	errs = append(errs, one.errs...)
	errs = append(errs, nonNegative(p.Child("initialDelaySeconds"), int64(pr.GetInitialDelaySeconds()))...)
	errs = append(errs, nonNegative(p.Child("timeoutSeconds"), int64(pr.GetTimeoutSeconds()))...)
	errs = append(errs, nonNegative(p.Child("periodSeconds"), int64(pr.GetPeriodSeconds()))...)
	errs = append(errs, nonNegative(p.Child("successThreshold"), int64(pr.GetSuccessThreshold()))...)
	errs = append(errs, nonNegative(p.Child("failureThreshold"), int64(pr.GetFailureThreshold()))...)
	if successMustBeOne && pr.GetSuccessThreshold() != 1 {
		errs = append(errs, field.Invalid(p.Child("successThreshold"), pr.GetSuccessThreshold(), "must be 1"))
	}
	if pr.TerminationGracePeriodSeconds != nil && pr.GetTerminationGracePeriodSeconds() <= 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), pr.GetTerminationGracePeriodSeconds(), "must be greater than 0"))
	}
	return errs
}

func validateLifecycleHandler(h *corev1.LifecycleHandler, pc *podContext, p *field.Path) field.ErrorList {
	if h == nil {
		return nil
	}
	one := exclusive{p: p, msg: "may not specify more than 1 handler type"}
	errs := validateHandler(h.Exec, h.HttpGet, h.TcpSocket, &one)
	if h.Sleep != nil && one.take("sleep") {
		if s := h.Sleep.GetSeconds(); s <= 0 || s > pc.gracePeriod {
			errs = append(errs, field.Invalid(p.Child("sleep", "seconds"), s,
				fmt.Sprintf("must be greater than 0 and less than terminationGracePeriodSeconds (%d)", pc.gracePeriod)))
		}
	}
	if one.n == 0 {
		errs = append(errs, field.Required(p, "must specify a handler type"))
	}
	return append(errs, one.errs...)
}

// validateHandler checks the actions probes and lifecycle hooks share, counting each one set in one.
func validateHandler(exec *corev1.ExecAction, get *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction, one *exclusive) field.ErrorList {
	var errs field.ErrorList
	if exec != nil && one.take("exec") {
		errs = append(errs, validateExec(exec, one.p.Child("exec"))...)
	}
	if get != nil && one.take("httpGet") {
		errs = append(errs, validateHTTPGet(get, one.p.Child("httpGet"))...)
	}
	if tcp != nil && one.take("tcpSocket") {
		errs = append(errs, validatePortRef(tcp.GetPort(), one.p.Child("tcpSocket", "port"))...)
	}
	return errs
}

func validateExec(e *corev1.ExecAction, p *field.Path) field.ErrorList {
	if len(e.GetCommand()) == 0 {
		return field.ErrorList{field.Required(p.Child("command"), "")}
	}
	return nil
}

var httpHeaderNameRE = regexp.MustCompile(`^[-A-Za-z0-9]+$`)

func validateHTTPGet(h *corev1.HTTPGetAction, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.GetPath() == "" {
		errs = append(errs, field.Required(p.Child("path"), ""))
	}
	errs = append(errs, validatePortRef(h.GetPort(), p.Child("port"))...)
	errs = append(errs, oneOf(p.Child("scheme"), h.GetScheme(), true, "HTTP", "HTTPS")...)
	for i, hdr := range h.GetHttpHeaders() {
		if !httpHeaderNameRE.MatchString(hdr.GetName()) {
			errs = append(errs, field.Invalid(p.Child("httpHeaders").Index(i).Child("name"), hdr.GetName(),
				"a valid HTTP header must consist of alphanumeric characters or '-' (regex used for validation is '[-A-Za-z0-9]+')"))
		}
	}
	return errs
}

// validatePortRef checks an int-or-string port: a port number or an IANA service name.
func validatePortRef(port *metav1.IntOrString, p *field.Path) field.ErrorList {
	switch {
	case port == nil:
		return field.ErrorList{field.Required(p, "")}
	case port.GetType() == intOrStringString:
		return portName(p, port.GetStrVal())
	default:
		return portNumber(p, port.GetIntVal())
	}
}
