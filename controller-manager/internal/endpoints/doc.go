// Package endpoints keeps, for every Service with a selector, an Endpoints object of the same
// name that lists the addresses and ports of the pods the selector matches, as Kubernetes'
// endpoints controller does: ready pods in addresses, unready ones in notReadyAddresses (all in
// addresses when the service publishes not-ready addresses), each with a targetRef to its pod,
// subsets grouped by identical port sets. A service without a selector is left alone; a deleted
// service's Endpoints are deleted.
//
// Pod changes reach the right services through a selector index: each service's parsed selector
// kept per namespace, so a pod event costs one match per service of its namespace.
package endpoints
