package client

import "context"

// bearerToken sends a bearer token with every call, in the metadata Kubernetes' REST API reads
// from the Authorization header.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity keeps the token off plain-text connections.
func (bearerToken) RequireTransportSecurity() bool { return true }
