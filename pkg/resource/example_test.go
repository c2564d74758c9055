package resource_test

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/resource"
)

func ExampleParse() {
	for _, s := range []string{"0.5", "1500m", "1024Mi", "1.5Gi", "1000", "2e3"} {
		q := resource.MustParse(s)
		fmt.Printf("%s -> %s (%s, %d milli)\n", s, q.String(), q.Format, q.MilliValue())
	}
	_, err := resource.Parse("12 cores")
	fmt.Println(err != nil)
	// Output:
	// 0.5 -> 500m (DecimalSI, 500 milli)
	// 1500m -> 1500m (DecimalSI, 1500 milli)
	// 1024Mi -> 1Gi (BinarySI, 1073741824000 milli)
	// 1.5Gi -> 1536Mi (BinarySI, 1610612736000 milli)
	// 1000 -> 1k (DecimalSI, 1000000 milli)
	// 2e3 -> 2e3 (DecimalExponent, 2000000 milli)
	// true
}

func ExampleList_Fits() {
	allocatable, _ := resource.ParseList(map[string]string{"cpu": "2", "memory": "4Gi"})
	requested, _ := resource.ParseList(map[string]string{"cpu": "1500m", "memory": "1Gi"})
	pod, _ := resource.ParseList(map[string]string{"cpu": "750m", "memory": "512Mi"})

	free := allocatable.Sub(requested)
	fmt.Println(free.Strings()["cpu"], free.Strings()["memory"])
	fmt.Println(pod.Fits(free), pod.Exceeding(free))
	// Output:
	// 500m 3Gi
	// false [cpu]
}
