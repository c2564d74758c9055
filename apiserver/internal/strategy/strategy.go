// Package strategy holds what differs between kinds on the way into storage: defaulting, validation,
// which fields a field selector may name, and which parts of an object each write may change. The
// generic store applies the parts every kind shares (metadata, spec/status split, generation) itself
// and calls a kind's Strategy for the rest.
package strategy

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

// Strategy is one kind's rules. Implementations are stateless and safe for concurrent use. Every
// method receives the kind's own message type (for example *corev1.Pod) and may type-assert it.
type Strategy interface {
	// Default fills in defaults on a new or replaced object, as Kubernetes' defaulting does
	// (restartPolicy Always, protocol TCP, imagePullPolicy from the image tag, replicas 1, ...).
	Default(obj scheme.Object)
	// Validate checks a new object's spec and kind-specific fields (metadata is checked by the
	// store) and names every bad field.
	Validate(obj scheme.Object) field.ErrorList
	// PrepareForUpdate copies onto a replacement, before Default and ValidateUpdate, the spec fields
	// the server allocated and a client may leave out (a service's clusterIP, clusterIPs, node ports
	// and healthCheckNodePort), so that a PUT or apply without them keeps them rather than failing.
	PrepareForUpdate(obj, old scheme.Object)
	// ValidateUpdate checks a replacement against the stored object: Validate plus the fields that
	// may not change (a pod's containers' names, a service's clusterIP, a job's selector, ...).
	ValidateUpdate(obj, old scheme.Object) field.ErrorList
	// ValidateStatus checks a status write.
	ValidateStatus(obj, old scheme.Object) field.ErrorList
	// SelectableFields returns the fields a field selector may match on, with their values:
	// metadata.name and metadata.namespace always, plus kind-specific ones such as spec.nodeName
	// and status.phase for pods.
	SelectableFields(obj scheme.Object) map[string]string
}

// StatusDefaulter is implemented by the Strategy of a kind whose status has defaults, which
// Kubernetes applies on every write of the status (a load balancer ingress's ipMode). The store
// calls DefaultStatus on the object a status write makes, before ValidateStatus.
type StatusDefaulter interface {
	DefaultStatus(obj scheme.Object)
}

// CreatePreparer is implemented by the Strategy of a kind that records on a new object who
// created it (a certificate signing request's requestor). The store calls PrepareForCreate with
// the request's context before Default; the user it carries, if any, is the authenticated one.
type CreatePreparer interface {
	PrepareForCreate(ctx context.Context, obj scheme.Object)
}

// StatusPreparer is implemented by the Strategy of a kind whose status holds parts a status write
// may not change (a certificate signing request's approval). The store calls
// PrepareForStatusUpdate on the object a status write makes, with the stored one, before
// DefaultStatus and ValidateStatus.
type StatusPreparer interface {
	PrepareForStatusUpdate(obj, old scheme.Object)
}

// ApprovalPreparer is implemented by the Strategy of a kind with an approval subresource
// (certificate signing requests). An approval write takes the client's status, on which
// PrepareForApproval restores from old everything but the approval, and is validated as a status
// write.
type ApprovalPreparer interface {
	PrepareForApproval(obj, old scheme.Object)
}
