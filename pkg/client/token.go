package client

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// bearerToken sends a bearer token with every call, in the metadata Kubernetes' REST API reads
// from the Authorization header.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity keeps the token off plain-text connections.
func (bearerToken) RequireTransportSecurity() bool { return true }

// CreateToken requests a token for the named service account through the token subresource
// (TokenRequest) and returns the request with its status: the token and when it expires. Only a
// service account client serves it. Each call issues a new token, so a call whose outcome is
// unknown is simply retried.
func (r *Resource[T]) CreateToken(ctx context.Context, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	a, err := scheme.Pack(tr)
	if err != nil {
		return nil, err
	}
	var resp *resourcev1.CreateResponse
	err = r.c.retry(ctx, always, func(int) (err error) {
		resp, err = r.c.rpc.Create(ctx, &resourcev1.CreateRequest{
			Resource: r.gvr, Namespace: r.namespace, Name: name, Subresource: "token", Object: a,
		}, waitForReady)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &authenticationv1.TokenRequest{}
	if got := resp.GetObject(); got == nil || got.MessageName() != out.ProtoReflect().Descriptor().FullName() {
		return nil, apierrors.NewInternal(fmt.Errorf("decode TokenRequest: the server returned a %s", got.MessageName()))
	}
	if err := wire.Unmarshal(resp.GetObject().GetValue(), out); err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return out, nil
}
