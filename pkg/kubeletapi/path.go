package kubeletapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation"
)

// ContainerLogsPrefix starts the path of every container log request; a server routes on it.
const ContainerLogsPrefix = "/containerLogs/"

// ContainerRef names one container of one pod.
type ContainerRef struct {
	Namespace string
	Pod       string
	Container string
}

// String returns namespace/pod/container.
func (r ContainerRef) String() string { return r.Namespace + "/" + r.Pod + "/" + r.Container }

// ContainerLogsPath returns the path of ref's log, /containerLogs/{namespace}/{pod}/{container}.
// The names are API object names, which need no escaping; ParseContainerLogsPath refuses any
// other.
func ContainerLogsPath(ref ContainerRef) string {
	return ContainerLogsPrefix + ref.Namespace + "/" + ref.Pod + "/" + ref.Container
}

// ContainerLogsURL returns the URL of ref's log on the kubelet at hostport (host:port), over plain
// HTTP, with opts as its query (none when opts is nil).
func ContainerLogsURL(hostport string, ref ContainerRef, opts *LogOptions) *url.URL {
	u := &url.URL{Scheme: "http", Host: hostport, Path: ContainerLogsPath(ref)}
	if opts != nil {
		u.RawQuery = opts.Query().Encode()
	}
	return u
}

// ParseContainerLogsPath reads the container a log path names: exactly
// /containerLogs/{namespace}/{pod}/{container}, with a namespace and a container name that are
// RFC 1123 labels and a pod name that is an RFC 1123 subdomain. The error says which part is wrong.
func ParseContainerLogsPath(path string) (ContainerRef, error) {
	rest, ok := strings.CutPrefix(path, ContainerLogsPrefix)
	if !ok {
		return ContainerRef{}, fmt.Errorf("container log path %q: must start with %s", path, ContainerLogsPrefix)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return ContainerRef{}, fmt.Errorf("container log path %q: must be %s{namespace}/{pod}/{container}", path, ContainerLogsPrefix)
	}
	ref := ContainerRef{Namespace: parts[0], Pod: parts[1], Container: parts[2]}
	var errs []error
	for _, c := range []struct {
		part, value string
		check       func(string) []string
	}{
		{"namespace", ref.Namespace, validation.IsDNS1123Label},
		{"pod", ref.Pod, validation.IsDNS1123Subdomain},
		{"container", ref.Container, validation.IsDNS1123Label},
	} {
		for _, msg := range c.check(c.value) {
			errs = append(errs, fmt.Errorf("%s %q: %s", c.part, c.value, msg))
		}
	}
	if len(errs) > 0 {
		return ContainerRef{}, fmt.Errorf("container log path %q: %w", path, errors.Join(errs...))
	}
	return ref, nil
}
