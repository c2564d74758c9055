package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/wire"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// TestGRPCContentSubtypeIsServedAsGRPC checks that a connection whose first call says
// "application/grpc+proto", as a client that names its codec sends, reaches the gRPC server and
// not the REST one.
func TestGRPCContentSubtypeIsServedAsGRPC(t *testing.T) {
	srv := servertest.Start(t)
	for _, opt := range []struct {
		name string
		call grpc.CallOption
	}{
		{"forced codec", grpc.ForceCodecV2(wire.Codec{})},
		{"content subtype", grpc.CallContentSubtype("proto")},
	} {
		t.Run(opt.name, func(t *testing.T) {
			conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = resourcev1.NewResourceServiceClient(conn).Get(ctx, &resourcev1.GetRequest{
				Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Name: "default",
			}, opt.call)
			require.NoError(t, err)
		})
	}
}
