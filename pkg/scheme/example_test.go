package scheme_test

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Example_typed resolves a request path's resource to its kind, makes a typed object of it, and
// takes the typed object back out of the Any it travels in.
func Example_typed() {
	s := scheme.Builtin()

	k, ok := s.ByResource(scheme.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"})
	if !ok {
		fmt.Println("not served")
		return
	}
	fmt.Println(k.APIVersion(), k.Kind, k.Namespaced, k.HasSubresource("scale"))

	pod := &corev1.Pod{Spec: &corev1.PodSpec{NodeName: "node-1"}}
	scheme.Meta(pod).Name = "web-0"
	a, err := scheme.Pack(pod)
	if err != nil {
		fmt.Println(err)
		return
	}
	obj, kind, err := s.Unpack(a)
	if err != nil {
		fmt.Println(err)
		return
	}
	got := obj.(*corev1.Pod)
	fmt.Println(kind.Resource, got.GetMetadata().GetName(), got.GetSpec().GetNodeName())
	// Output:
	// apps/v1 Deployment true true
	// pods web-0 node-1
}
