// Package kubeletapi is the kubelet's HTTP contract, written once for both of its sides: the
// kubelet that serves it and the apiserver that proxies to it (pods/log today; exec, attach and
// port-forward follow the same shape).
//
// It fixes the default ports (DefaultPort 10250 for the API, DefaultHealthzPort 10248 for health),
// the container log path /containerLogs/{namespace}/{pod}/{container} (ContainerLogsPath builds it,
// ParseContainerLogsPath reads and checks it), and the log query (LogOptions: follow, previous,
// timestamps, tailLines, limitBytes, sinceSeconds, sinceTime). Query encodes options as Kubernetes'
// apiserver sends them to a kubelet; ParseLogOptions decodes and validates them with Kubernetes'
// rules and messages, so what one side writes the other reads back unchanged.
package kubeletapi
