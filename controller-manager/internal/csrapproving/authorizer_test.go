package csrapproving

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/csr"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// policyReviews answers SubjectAccessReviews as the apiserver does under the bootstrap RBAC
// policy for the certificatesigningrequests subresources: nodeclient for the
// system:bootstrappers group, selfnodeclient for system:nodes. It records every review, and
// fails every call when err is set.
type policyReviews struct {
	err error

	mu    sync.Mutex
	asked []*authorizationv1.SubjectAccessReview
}

func (p *policyReviews) Create(_ context.Context, r *authorizationv1.SubjectAccessReview, _ ...client.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	p.mu.Lock()
	p.asked = append(p.asked, proto.Clone(r).(*authorizationv1.SubjectAccessReview))
	p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	spec, ra := r.GetSpec(), r.GetSpec().GetResourceAttributes()
	allowed := ra.GetGroup() == "certificates.k8s.io" && ra.GetResource() == "certificatesigningrequests" && ra.GetVerb() == "create" &&
		(ra.GetSubresource() == NodeClient && slices.Contains(spec.GetGroups(), "system:bootstrappers") ||
			ra.GetSubresource() == SelfNodeClient && slices.Contains(spec.GetGroups(), "system:nodes"))
	out := proto.Clone(r).(*authorizationv1.SubjectAccessReview)
	out.Status = &authorizationv1.SubjectAccessReviewStatus{Allowed: allowed}
	return out, nil
}

// TestReviewAuthorizerAsksTheApiserver checks the review sent for each kind and requestor and
// that its answer is the decision.
func TestReviewAuthorizerAsksTheApiserver(t *testing.T) {
	spec := func(user, uid string, groups ...string) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{Spec: &certificatesv1.CertificateSigningRequestSpec{
			SignerName: csr.KubeAPIServerClientKubeletSigner, Username: user, Uid: uid, Groups: groups,
		}}
	}
	cases := []struct {
		name    string
		req     *certificatesv1.CertificateSigningRequest
		kind    string
		fail    error
		allowed bool
		asked   bool
		err     bool
	}{
		{"bootstrapper asks for a new node", spec("system:bootstrap:abcdef", "", "system:bootstrappers", "system:authenticated"), NodeClient, nil, true, true, false},
		{"bootstrapper may not renew", spec("system:bootstrap:abcdef", "", "system:bootstrappers"), SelfNodeClient, nil, false, true, false},
		{"node renews its own", spec("system:node:n1", "u-1", "system:nodes", "system:authenticated"), SelfNodeClient, nil, true, true, false},
		{"node may not ask for a new node", spec("system:node:n1", "", "system:nodes"), NodeClient, nil, false, true, false},
		{"ordinary user", spec("alice", "", "system:authenticated"), NodeClient, nil, false, true, false},
		{"groups alone are reviewed", spec("", "", "system:bootstrappers"), NodeClient, nil, true, true, false},
		{"no requestor is never allowed, nor reviewed", spec("", ""), NodeClient, nil, false, false, false},
		{"the review fails", spec("system:bootstrap:abcdef", "", "system:bootstrappers"), NodeClient, errors.New("apiserver unavailable"), false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reviews := &policyReviews{err: tc.fail}
			ok, err := ReviewAuthorizer{Reviews: reviews}.Authorize(context.Background(), tc.req, tc.kind, "n1")
			if tc.err {
				require.ErrorIs(t, err, tc.fail)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.allowed, ok)
			if !tc.asked {
				require.Empty(t, reviews.asked)
				return
			}
			require.Len(t, reviews.asked, 1)
			got := reviews.asked[0].GetSpec()
			want := tc.req.GetSpec()
			require.Equal(t, want.GetUsername(), got.GetUser())
			require.Equal(t, want.GetGroups(), got.GetGroups())
			require.Equal(t, want.GetUid(), got.GetUid())
			require.Nil(t, got.GetNonResourceAttributes())
			require.True(t, proto.Equal(&authorizationv1.ResourceAttributes{
				Group: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: tc.kind, Verb: "create",
			}, got.GetResourceAttributes()), "%v", got.GetResourceAttributes())
		})
	}
}
