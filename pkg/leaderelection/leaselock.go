package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// LeaseLock is a Lock on a coordination.k8s.io/v1 Lease, written through the API with optimistic
// concurrency: an Update carries the resourceVersion last seen, so a candidate that raced another
// fails instead of overwriting it.
type LeaseLock struct {
	leases *client.Resource[*coordinationv1.Lease]
	name   string
	// lease is the Lease last read or written; only the elector's goroutine uses it.
	lease *coordinationv1.Lease
}

var _ Lock = (*LeaseLock)(nil)

// NewLeaseLock returns a lock on the Lease name, through leases (the lease client of its
// namespace).
func NewLeaseLock(leases *client.Resource[*coordinationv1.Lease], name string) *LeaseLock {
	return &LeaseLock{leases: leases, name: name}
}

// Get implements Lock.
func (l *LeaseLock) Get(ctx context.Context) (Record, error) {
	lease, err := l.leases.Get(ctx, l.name)
	if err != nil {
		return Record{}, fmt.Errorf("get lease %s: %w", l.Describe(), err)
	}
	l.lease = lease
	return recordOf(lease.GetSpec()), nil
}

// Create implements Lock.
func (l *LeaseLock) Create(ctx context.Context, r Record) error {
	created, err := l.leases.Create(ctx, &coordinationv1.Lease{
		Metadata: &metav1.ObjectMeta{Name: l.name},
		Spec:     leaseSpec(r),
	})
	if err != nil {
		return fmt.Errorf("create lease %s: %w", l.Describe(), err)
	}
	l.lease = created
	return nil
}

// Update implements Lock.
func (l *LeaseLock) Update(ctx context.Context, r Record) error {
	if l.lease == nil {
		return fmt.Errorf("update lease %s: %w", l.Describe(), errors.New("the lease was never read"))
	}
	next := proto.CloneOf(l.lease)
	next.Spec = leaseSpec(r)
	updated, err := l.leases.Update(ctx, next)
	if err != nil {
		return fmt.Errorf("update lease %s: %w", l.Describe(), err)
	}
	l.lease = updated
	return nil
}

// Describe implements Lock.
func (l *LeaseLock) Describe() string {
	return l.leases.Namespace() + "/" + l.name
}

func recordOf(s *coordinationv1.LeaseSpec) Record {
	r := Record{
		HolderIdentity: s.GetHolderIdentity(),
		Transitions:    s.GetLeaseTransitions(),
	}
	if s.LeaseDurationSeconds != nil {
		r.LeaseDuration = time.Duration(s.GetLeaseDurationSeconds()) * time.Second
	}
	if s.GetAcquireTime() != nil {
		r.AcquireTime = s.GetAcquireTime().AsTime()
	}
	if s.GetRenewTime() != nil {
		r.RenewTime = s.GetRenewTime().AsTime()
	}
	return r
}

// leaseSpec writes r as a Lease spec. The Lease stores whole seconds, so a shorter duration is
// rounded up to one.
func leaseSpec(r Record) *coordinationv1.LeaseSpec {
	holder := r.HolderIdentity
	secs := int32(max(r.LeaseDuration/time.Second, 1))
	transitions := r.Transitions
	return &coordinationv1.LeaseSpec{
		HolderIdentity:       &holder,
		LeaseDurationSeconds: &secs,
		AcquireTime:          timestamppb.New(r.AcquireTime),
		RenewTime:            timestamppb.New(r.RenewTime),
		LeaseTransitions:     &transitions,
	}
}
