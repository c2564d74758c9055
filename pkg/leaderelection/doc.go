// Package leaderelection elects one leader among replicas of a component through a Lease object in
// the API, as client-go's leaderelection does: candidates try to take or renew the lease every
// RetryPeriod; a holder that fails to renew within RenewDeadline steps down; a lease not renewed for
// LeaseDuration (as observed on the candidate's own clock, so clocks need not agree) may be taken.
// The holder, its renew time and the number of transitions are visible with `kubectl get lease`.
//
// Leader-only work runs in OnStartedLeading with a context that ends when leadership does.
package leaderelection
