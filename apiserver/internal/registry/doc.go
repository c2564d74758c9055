// Package registry is the apiserver's service layer: for every resource, the one implementation of
// get, list, watch, create, update, update-status, delete, patch, server-side apply and the pod
// binding, eviction and workload scale subresources, with Kubernetes' semantics (server-set
// metadata, namespace lifecycle, spec/status split, generation, optimistic concurrency, finalizers,
// graceful deletion and the managedFields every write records). The gRPC service and the REST edge
// both call it; nothing here knows about either wire format. Field management follows Kubernetes'
// schemas, so it works on the objects' Kubernetes form (package kubejson).
//
// Reads of the latest state go to etcd; reads at resourceVersion "0" and every watch are served by
// the resource's watch cache. Writes are read-modify-write cycles guarded on the stored revision.
package registry
