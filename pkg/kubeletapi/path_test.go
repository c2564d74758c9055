package kubeletapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

func TestContainerLogsPathRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ref  kubeletapi.ContainerRef
		path string
	}{
		{name: "plain names", ref: kubeletapi.ContainerRef{Namespace: "default", Pod: "web-0", Container: "app"},
			path: "/containerLogs/default/web-0/app"},
		{name: "a pod name with dots", ref: kubeletapi.ContainerRef{Namespace: "kube-system", Pod: "etcd.node-1", Container: "etcd"},
			path: "/containerLogs/kube-system/etcd.node-1/etcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.path, kubeletapi.ContainerLogsPath(tt.ref))
			got, err := kubeletapi.ParseContainerLogsPath(tt.path)
			require.NoError(t, err)
			require.Equal(t, tt.ref, got)
		})
	}
}

func TestParseContainerLogsPathErrors(t *testing.T) {
	tests := []struct {
		name, path string
		want       []string
	}{
		{name: "another prefix", path: "/logs/default/p/c", want: []string{"must start with /containerLogs/"}},
		{name: "no container", path: "/containerLogs/default/p", want: []string{"must be /containerLogs/{namespace}/{pod}/{container}"}},
		{name: "one part too many", path: "/containerLogs/default/p/c/x", want: []string{"must be /containerLogs/{namespace}/{pod}/{container}"}},
		{name: "a trailing slash", path: "/containerLogs/default/p/c/", want: []string{"must be /containerLogs/{namespace}/{pod}/{container}"}},
		{name: "an empty pod", path: "/containerLogs/default//c", want: []string{`pod "": a lowercase RFC 1123 subdomain`}},
		{name: "a namespace with dots", path: "/containerLogs/a.b/p/c", want: []string{`namespace "a.b": must not contain dots`}},
		{name: "every bad part is named", path: "/containerLogs/NS/p/C_1",
			want: []string{`namespace "NS": a lowercase RFC 1123 label`, `container "C_1": a lowercase RFC 1123 label`}},
		{name: "a climbing path", path: "/containerLogs/default/../c", want: []string{`pod "..": a lowercase RFC 1123 subdomain`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kubeletapi.ParseContainerLogsPath(tt.path)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.path)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestContainerLogsURL(t *testing.T) {
	ref := kubeletapi.ContainerRef{Namespace: "default", Pod: "p", Container: "c"}
	tail := int64(5)
	tests := []struct {
		name string
		host string
		opts *kubeletapi.LogOptions
		want string
	}{
		{name: "no options", host: "127.0.0.1:10250", want: "http://127.0.0.1:10250/containerLogs/default/p/c"},
		{name: "empty options", host: "127.0.0.1:10250", opts: &kubeletapi.LogOptions{}, want: "http://127.0.0.1:10250/containerLogs/default/p/c"},
		{name: "with a query", host: "[::1]:10250", opts: &kubeletapi.LogOptions{Follow: true, TailLines: &tail},
			want: "http://[::1]:10250/containerLogs/default/p/c?follow=true&tailLines=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, kubeletapi.ContainerLogsURL(tt.host, ref, tt.opts).String())
		})
	}
}

func TestDefaultPorts(t *testing.T) {
	// The ports Kubernetes' kubelet uses: clients and nodes rely on them when nothing says otherwise.
	require.Equal(t, 10250, kubeletapi.DefaultPort)
	require.Equal(t, 10248, kubeletapi.DefaultHealthzPort)
}
