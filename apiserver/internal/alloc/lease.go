package alloc

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Identity leases, as Kubernetes' apiservers hold them: one Lease per live replica in kube-system,
// named apiserver-<hash>, labelled apiserver.kubernetes.io/identity=kube-apiserver.
const (
	// LeaseNamespace holds the identity leases.
	LeaseNamespace = "kube-system"
	// IdentityLabel marks a Lease as an apiserver's identity lease; its value names the server.
	IdentityLabel = "apiserver.kubernetes.io/identity"
	// IdentityValue is IdentityLabel's value for Keelson's apiservers, as for kube-apiserver.
	IdentityValue = "kube-apiserver"
	// HostnameLabel carries the host a replica runs on, for people reading the leases.
	HostnameLabel = "kubernetes.io/hostname"
	// EndpointAnnotation carries the replica's advertise address and port (host:port): what the
	// kubernetes Endpoints list for it.
	EndpointAnnotation = "apiserver.keelson.dev/advertise-endpoint"

	// DefaultIdentityLeaseDuration is how long a replica's lease lasts without a renewal, and so
	// the longest a dead replica stays in the kubernetes Endpoints. Kubernetes' identity leases
	// last an hour because nothing routes by them; these decide the Endpoints, so they last what
	// Kubernetes' lease endpoint reconciler gives its master leases (15 s).
	DefaultIdentityLeaseDuration = 15 * time.Second
	// DefaultIdentityLeaseRenewInterval is how often a replica renews its lease and reconciles the
	// Endpoints: a third of the duration, so two renewals in a row may fail (a slow etcd, a long
	// GC pause) before a live replica drops out.
	DefaultIdentityLeaseRenewInterval = 5 * time.Second
)

var leasesGVR = scheme.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}

// LeaseName returns the identity lease name of the replica reached at endpoint (host:port):
// "apiserver-" and a hash of it, as Kubernetes hashes the host name. The name is stable across
// restarts, so a restarted replica takes its own lease back, and two replicas on one host (on
// different ports) hold two leases.
func LeaseName(endpoint string) string {
	sum := sha256.Sum256([]byte(endpoint))
	return "apiserver-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// member is a live replica as its lease shows it.
type member struct {
	ip      string
	port    int32
	expires time.Time
}

// leaseEndpoint returns the address and port a lease advertises.
func leaseEndpoint(l *coordinationv1.Lease) (string, int32, error) {
	host, p, err := net.SplitHostPort(l.GetMetadata().GetAnnotations()[EndpointAnnotation])
	if err != nil {
		return "", 0, fmt.Errorf("lease %s: annotation %s: %w", l.GetMetadata().GetName(), EndpointAnnotation, err)
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("lease %s: annotation %s: port: %w", l.GetMetadata().GetName(), EndpointAnnotation, err)
	}
	return host, int32(port), nil
}

// leaseExpiry returns when l runs out: its renew time plus its duration. A lease without either
// has run out already.
func leaseExpiry(l *coordinationv1.Lease) time.Time {
	spec := l.GetSpec()
	if spec.GetRenewTime() == nil || spec.LeaseDurationSeconds == nil {
		return time.Time{}
	}
	return spec.GetRenewTime().AsTime().Add(time.Duration(spec.GetLeaseDurationSeconds()) * time.Second)
}

// renew creates or renews this replica's lease.
func (k *Kubernetes) renew(ctx context.Context) error {
	st, err := k.Registry.Store(leasesGVR)
	if err != nil {
		return err
	}
	endpoint := k.endpoint()
	name := LeaseName(endpoint)
	now := timestamppb.New(k.Clock.Now())
	seconds := int32(k.LeaseDuration / time.Second) //nolint:gosec // Validate bounds the duration
	_, _, err = st.Modify(ctx, LeaseNamespace, name, registry.ModifyOptions{Create: true, FieldManager: "kube-apiserver"},
		func(cur scheme.Object) (scheme.Object, error) {
			l, _ := cur.(*coordinationv1.Lease)
			if l == nil {
				l = &coordinationv1.Lease{Metadata: &metav1.ObjectMeta{Name: name, Namespace: LeaseNamespace},
					Spec: &coordinationv1.LeaseSpec{AcquireTime: now}}
			}
			m := l.GetMetadata()
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[IdentityLabel] = IdentityValue
			if h := k.hostname(); len(validation.IsValidLabelValue(h)) == 0 {
				m.Labels[HostnameLabel] = h
			}
			if m.Annotations == nil {
				m.Annotations = map[string]string{}
			}
			m.Annotations[EndpointAnnotation] = endpoint
			if l.Spec == nil {
				l.Spec = &coordinationv1.LeaseSpec{AcquireTime: now}
			}
			l.Spec.HolderIdentity = proto.String(name)
			l.Spec.LeaseDurationSeconds = proto.Int32(seconds)
			l.Spec.RenewTime = now
			return l, nil
		})
	if err != nil {
		return fmt.Errorf("renew lease %s/%s: %w", LeaseNamespace, name, err)
	}
	return nil
}

// release deletes this replica's lease, as a replica that shuts down cleanly does.
func (k *Kubernetes) release(ctx context.Context) error {
	st, err := k.Registry.Store(leasesGVR)
	if err != nil {
		return err
	}
	name := LeaseName(k.endpoint())
	if _, _, err := st.Delete(ctx, LeaseNamespace, name, registry.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete lease %s/%s: %w", LeaseNamespace, name, err)
	}
	return nil
}

// members reads the identity leases from etcd and returns the live replicas. It deletes the leases
// that have run out, each guarded on the version it read so that a lease renewed meanwhile stays.
// A lease that advertises no valid endpoint is skipped.
func (k *Kubernetes) members(ctx context.Context) ([]member, error) {
	st, err := k.Registry.Store(leasesGVR)
	if err != nil {
		return nil, err
	}
	list, err := st.List(ctx, LeaseNamespace, registry.ListOptions{LabelSelector: IdentityLabel + "=" + IdentityValue})
	if err != nil {
		return nil, fmt.Errorf("list identity leases: %w", err)
	}
	now := k.Clock.Now()
	var live []member
	for _, obj := range list.Items {
		l := obj.(*coordinationv1.Lease)
		expires := leaseExpiry(l)
		if !now.Before(expires) {
			m := l.GetMetadata()
			_, _, err := st.Delete(ctx, LeaseNamespace, m.GetName(), registry.DeleteOptions{PreconditionResourceVersion: m.GetResourceVersion()})
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return nil, fmt.Errorf("delete expired lease %s/%s: %w", LeaseNamespace, m.GetName(), err)
			}
			continue
		}
		ip, port, err := leaseEndpoint(l)
		if err != nil {
			k.Logger.Warn("skip an identity lease", zap.Error(err))
			continue
		}
		live = append(live, member{ip: ip, port: port, expires: expires})
	}
	return live, nil
}

// hostname is the HostnameLabel value: the configured one, else the machine's.
func (k *Kubernetes) hostname() string {
	if k.Hostname != "" {
		return k.Hostname
	}
	if h, err := os.Hostname(); err == nil {
		return strings.ToLower(h)
	}
	return "unknown"
}

// endpoint is this replica's advertise address and port.
func (k *Kubernetes) endpoint() string {
	return net.JoinHostPort(k.Address, strconv.Itoa(int(k.Port)))
}
