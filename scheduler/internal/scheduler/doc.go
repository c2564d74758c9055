// Package scheduler is the scheduling loop that ties the parts together. Informers feed the
// cache (nodes and assigned pods) and the queue (pending pods this scheduler is responsible
// for). One goroutine pops a pod, refreshes the snapshot from the cache, runs the algorithm,
// assumes the pod onto the chosen node in the cache and hands the binding to a bounded pool of
// binder goroutines, then moves on without waiting for the write. A failed binding un-assumes the
// pod and requeues it with backoff. A pod that fits nowhere goes to the queue's unschedulable set
// and gets a FailedScheduling event and a PodScheduled=False condition explaining why.
package scheduler
