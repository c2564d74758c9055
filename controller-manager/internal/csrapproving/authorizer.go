package csrapproving

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/client"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// Kinds of kubelet client requests, named as the certificatesigningrequests subresources
// Kubernetes' RBAC rules grant the "create" verb on.
const (
	// NodeClient is a request for a new node's first client certificate.
	NodeClient = "nodeclient"
	// SelfNodeClient is a node renewing its own client certificate.
	SelfNodeClient = "selfnodeclient"
)

// Authorizer decides whether the requestor of a request (spec.username, groups, uid) may have a
// kubelet client certificate of kind NodeClient or SelfNodeClient for node.
type Authorizer interface {
	Authorize(ctx context.Context, r *certificatesv1.CertificateSigningRequest, kind, node string) (bool, error)
}

// Reviews creates SubjectAccessReviews and returns them answered: the apiserver's
// subjectaccessreviews resource (client.For[*authorizationv1.SubjectAccessReview]).
type Reviews interface {
	Create(ctx context.Context, review *authorizationv1.SubjectAccessReview, opts ...client.CreateOptions) (*authorizationv1.SubjectAccessReview, error)
}

// ReviewAuthorizer is the default Authorizer, Kubernetes' csrapproving check: it asks the
// apiserver, through a SubjectAccessReview, whether the requestor may create
// certificatesigningrequests/<kind> in certificates.k8s.io. The bootstrap RBAC policy grants
// nodeclient to the system:bootstrappers group and selfnodeclient to system:nodes, so a bootstrap
// token's user gets a new node's first certificate and a node renews its own; an administrator
// grants either to anyone else with a binding. The apiserver's authorizer decides, whatever its
// --authorization-mode.
type ReviewAuthorizer struct {
	Reviews Reviews
}

// Authorize asks the review. A request without a requestor (made with no authentication) is
// never allowed: a review must name a user or a group.
func (a ReviewAuthorizer) Authorize(ctx context.Context, r *certificatesv1.CertificateSigningRequest, kind, _ string) (bool, error) {
	spec := r.GetSpec()
	if spec.GetUsername() == "" && len(spec.GetGroups()) == 0 {
		return false, nil
	}
	review, err := a.Reviews.Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: &authorizationv1.SubjectAccessReviewSpec{
			User: spec.GetUsername(), Groups: spec.GetGroups(), Uid: spec.GetUid(),
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: kind, Verb: "create",
			},
		},
	})
	if err != nil {
		return false, fmt.Errorf("subject access review of %s for certificatesigningrequests/%s: %w", spec.GetUsername(), kind, err)
	}
	return review.GetStatus().GetAllowed(), nil
}
