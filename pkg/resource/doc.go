// Package resource implements Kubernetes resource quantities ("500m" CPU, "128Mi" memory) and the
// resource lists API objects carry as string maps.
//
// A Quantity is an exact fixed-point number, never a float: it parses every form Kubernetes
// accepts, keeps the kind of suffix it was written with, and prints in Kubernetes' canonical form,
// so "0.5" prints "500m", "1024Mi" prints "1Gi" and "1.5Gi" prints "1536Mi". Quantities are
// immutable values; arithmetic returns new ones. Small numbers are stored in an int64 and larger
// ones in a math/big integer, so sums never overflow.
//
// A List is what the scheduler and kubelet add up and compare: ParseList reads an object's
// {"cpu": "500m"} map, Add and Sub combine lists per resource name, and Fits or Exceeding checks a
// request against capacity.
package resource
