package leaderelection

import (
	"context"
	"time"
)

// Record is what a lock holds: who leads, since when, and for how long a renewal counts.
type Record struct {
	// HolderIdentity is the leader's identity; empty when the lock was given up.
	HolderIdentity string
	// LeaseDuration is how long the lock stays held after RenewTime; 0 when the lock does not say.
	LeaseDuration time.Duration
	// AcquireTime is when the holder took the lock; RenewTime when it last renewed it.
	AcquireTime time.Time
	RenewTime   time.Time
	// Transitions counts the changes of holder.
	Transitions int32
}

// Lock stores the election's Record. An elector uses its lock from one goroutine at a time.
type Lock interface {
	// Get returns the current record. The error satisfies apierrors.IsNotFound when there is
	// none yet.
	Get(ctx context.Context) (Record, error)
	// Create stores r when there is no record yet; it fails when another candidate was first.
	Create(ctx context.Context, r Record) error
	// Update replaces the record last read by Get or written by Create or Update with r. It fails
	// when the stored record changed since, so two candidates cannot both take the lock.
	Update(ctx context.Context, r Record) error
	// Describe names the lock in logs, like "kube-system/keelson-scheduler".
	Describe() string
}
