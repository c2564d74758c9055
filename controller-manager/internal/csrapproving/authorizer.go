package csrapproving

import (
	"context"
	"slices"

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

// Authorizer decides whether the requestor of a request (spec.username, groups, uid, extra) may
// have a kubelet client certificate of kind NodeClient or SelfNodeClient for node. Kubernetes asks
// a SubjectAccessReview for verb create on certificates.k8s.io certificatesigningrequests/<kind>;
// an Authorizer backed by the apiserver's SubjectAccessReview plugs in here.
type Authorizer interface {
	Authorize(ctx context.Context, r *certificatesv1.CertificateSigningRequest, kind, node string) (bool, error)
}

// Groups and users the default authorizer knows.
const (
	bootstrappersGroup = "system:bootstrappers"
	nodesGroup         = "system:nodes"
	nodeUserPrefix     = "system:node:"
)

// GroupAuthorizer is the default Authorizer, what Kubernetes' bootstrap RBAC policy grants
// through its SubjectAccessReview: NodeClient to the system:bootstrappers group, SelfNodeClient to
// the node's own user system:node:<node> in system:nodes. It reads only the request.
type GroupAuthorizer struct{}

// Authorize decides by the requestor's groups and name.
func (GroupAuthorizer) Authorize(_ context.Context, r *certificatesv1.CertificateSigningRequest, kind, node string) (bool, error) {
	spec := r.GetSpec()
	switch kind {
	case NodeClient:
		return slices.Contains(spec.GetGroups(), bootstrappersGroup), nil
	case SelfNodeClient:
		return spec.GetUsername() == nodeUserPrefix+node && slices.Contains(spec.GetGroups(), nodesGroup), nil
	}
	return false, nil
}
