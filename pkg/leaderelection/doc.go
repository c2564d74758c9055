// Package leaderelection elects one leader among replicas of a component, as client-go's
// leaderelection does. Candidates try every RetryPeriod to take or renew a lock (a Lease object
// through the API, or any Lock); a leader that fails to renew within RenewDeadline steps down; a
// lock not renewed for LeaseDuration, as observed on the candidate's own clock (so clocks need not
// agree), may be taken. The holder, its renew time and the number of transitions are visible with
// `kubectl get lease`.
//
// RunWhileLeading runs leader-only work with a context that ends when leadership does, and gives
// the lock up when it is told to stop, so that a standby takes over at once.
package leaderelection
