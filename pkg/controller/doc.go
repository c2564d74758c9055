// Package controller is the level-based reconcile loop every Keelson controller runs, built on
// pkg/workqueue as controller-runtime's reconcile loop is on client-go's.
//
// Informer handlers put keys ("namespace/name", see SplitKey) on a rate-limited work queue; N
// workers take keys off it and call a ReconcileFunc, which reads the current state from informer
// listers, writes what differs through the API and returns. An error requeues the key with the
// queue's per-key backoff; a Result with RequeueAfter requeues it after that long; success
// forgets the key's backoff. The queue hands a key to one worker at a time, so one key is never
// reconciled by two workers at once, while different keys are reconciled in parallel.
//
// Expectations remember the creates and deletes a controller has asked for and not yet seen in
// its informers, as Kubernetes' ControllerExpectations do, so that a reconcile running before
// the informer catches up does not act twice; an expectation not met within its TTL lapses.
package controller
