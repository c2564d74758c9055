package kubeletapi_test

import (
	"fmt"
	"net/url"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// The apiserver builds the request for a pod's log; the kubelet reads it back.
func Example() {
	tail := int64(20)
	u := kubeletapi.ContainerLogsURL(fmt.Sprintf("127.0.0.1:%d", kubeletapi.DefaultPort),
		kubeletapi.ContainerRef{Namespace: "default", Pod: "web-0", Container: "app"},
		&kubeletapi.LogOptions{Follow: true, TailLines: &tail})
	fmt.Println(u)

	ref, err := kubeletapi.ParseContainerLogsPath(u.Path)
	if err != nil {
		fmt.Println(err)
		return
	}
	opts, err := kubeletapi.ParseLogOptions(u.Query())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ref, opts.Follow, *opts.TailLines)
	// Output:
	// http://127.0.0.1:10250/containerLogs/default/web-0/app?follow=true&tailLines=20
	// default/web-0/app true 20
}

// Bad values are refused with Kubernetes' messages, naming the parameter.
func ExampleParseLogOptions() {
	for _, query := range []string{"tailLines=ten", "tailLines=-1"} {
		q, _ := url.ParseQuery(query)
		_, err := kubeletapi.ParseLogOptions(q)
		fmt.Println(err)
	}
	// Output:
	// invalid value "ten" for tailLines: must be an integer
	// tailLines: Invalid value: -1: must be greater than or equal to 0
}
