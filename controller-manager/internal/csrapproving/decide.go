package csrapproving

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// Decision is what the approver does with a pending request.
type Decision struct {
	// Approve, with Message for the Approved condition.
	Approve bool
	Message string
	// Why a request is left pending, for the logs ("" when it is not a kubelet client request).
	Why string
}

// Decide judges a pending request. It approves a kubelet client request (see
// csr.ValidateKubeletClient) when authz allows SelfNodeClient (the requestor is the node) or,
// for a node that does not exist yet, NodeClient (a bootstrapper). Kubernetes lets a bootstrapper
// ask for any node; refusing it an existing node's identity keeps a bootstrap token from taking
// over a running node, whose renewals come from the node itself. A kubelet that lost its
// certificate and bootstraps again for an existing node waits for `kubectl certificate approve`.
func Decide(ctx context.Context, r *certificatesv1.CertificateSigningRequest, authz Authorizer, nodeExists func(string) bool) (Decision, error) {
	spec := r.GetSpec()
	if spec.GetSignerName() != csr.KubeAPIServerClientKubeletSigner {
		return Decision{}, nil
	}
	req, err := csr.ParseRequest(spec.GetRequest())
	if err != nil {
		return Decision{Why: err.Error()}, nil
	}
	if err := csr.ValidateKubeletClient(req, spec.GetUsages()); err != nil {
		return Decision{Why: "not a kubelet client request: " + err.Error()}, nil
	}
	node, _ := csr.NodeName(req.Subject.CommonName)
	if spec.GetUsername() == req.Subject.CommonName {
		ok, err := authz.Authorize(ctx, r, SelfNodeClient, node)
		if err != nil || ok {
			return Decision{Approve: ok, Message: "Auto approving self kubelet client certificate after SubjectAccessReview."}, err
		}
	}
	ok, err := authz.Authorize(ctx, r, NodeClient, node)
	switch {
	case err != nil:
		return Decision{}, err
	case !ok:
		return Decision{Why: "the requestor may not ask for a node's client certificate"}, nil
	case nodeExists(node):
		return Decision{Why: "node " + node + " exists: only the node itself may renew its certificate"}, nil
	}
	return Decision{Approve: true, Message: "Auto approving kubelet client certificate after SubjectAccessReview."}, nil
}
