package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

var podsGVR = &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}

func TestBadInputGetsAClearErrorAndWritesNothing(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	conn, err := grpc.NewClient(cl.Endpoint(0), grpc.WithTransportCredentials(cl.GRPCCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	raw := resourcev1.NewResourceServiceClient(conn)
	validPod, err := anypb.New(&corev1.Pod{Metadata: meta("ok", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)

	tests := []struct {
		name    string
		call    func() error
		code    codes.Code
		mention string
	}{
		{"malformed protobuf", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default",
				Object: &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.Pod", Value: []byte{0xff, 0xff, 0xff, 0x01}}})
			return err
		}, codes.InvalidArgument, "cannot be decoded"},
		{"string that is not UTF-8", func() error {
			// The generated fast encoder writes any string it is given. The apiserver must not store
			// one that is not UTF-8, or every client decoding with the protobuf runtime would fail
			// on the object.
			value, err := (&corev1.ConfigMap{Metadata: meta("latin1", nil), Data: map[string]string{"k": "caf\xe9"}}).MarshalVT()
			if err != nil {
				return err
			}
			_, err = raw.Create(ctx, &resourcev1.CreateRequest{Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
				Namespace: "default", Object: &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.ConfigMap", Value: value}})
			return err
		}, codes.InvalidArgument, "UTF-8"},
		{"unknown kind", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: &resourcev1.GroupVersionResource{Group: "widgets.example.com", Version: "v1", Resource: "widgets"},
				Namespace: "default", Object: validPod})
			return err
		}, codes.NotFound, "widgets"},
		{"object of another kind", func() error {
			cm, _ := anypb.New(&corev1.ConfigMap{Metadata: meta("cm", nil)})
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default", Object: cm})
			return err
		}, codes.InvalidArgument, "keelson.core.v1.ConfigMap"},
		{"no object", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default"})
			return err
		}, codes.InvalidArgument, "no object"},
		{"no resource", func() error {
			_, err := raw.Get(ctx, &resourcev1.GetRequest{Name: "x"})
			return err
		}, codes.InvalidArgument, "version and resource are required"},
		{"unregistered type url", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default",
				Object: &anypb.Any{TypeUrl: "type.googleapis.com/nope.Thing", Value: []byte{}}})
			return err
		}, codes.InvalidArgument, "nope.Thing"},
		{"bad label selector", func() error {
			_, err := raw.List(ctx, &resourcev1.ListRequest{Resource: podsGVR, LabelSelector: "a in (b"})
			return err
		}, codes.InvalidArgument, "a in (b"},
		{"unsupported field selector", func() error {
			_, err := raw.List(ctx, &resourcev1.ListRequest{Resource: podsGVR, FieldSelector: "spec.image=nginx"})
			return err
		}, codes.InvalidArgument, "spec.image"},
		{"bad continue token", func() error {
			_, err := raw.List(ctx, &resourcev1.ListRequest{Resource: podsGVR, Limit: 1, Continue: "garbage!"})
			return err
		}, codes.InvalidArgument, "continue"},
		{"bad resource version", func() error {
			_, err := raw.Get(ctx, &resourcev1.GetRequest{Resource: podsGVR, Namespace: "default", Name: "x", ResourceVersion: "yesterday"})
			return err
		}, codes.InvalidArgument, "yesterday"},
		{"bad watch selector", func() error {
			s, err := raw.Watch(ctx, &resourcev1.WatchRequest{Resource: podsGVR, LabelSelector: "!!"})
			if err != nil {
				return err
			}
			_, err = s.Recv()
			return err
		}, codes.InvalidArgument, "!!"},
		{"namespace on a cluster-scoped kind", func() error {
			_, err := raw.Get(ctx, &resourcev1.GetRequest{Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "nodes"}, Namespace: "default", Name: "n"})
			return err
		}, codes.InvalidArgument, "cluster-scoped"},
		{"unknown subresource", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default", Name: "ok", Subresource: "teleport", Object: validPod})
			return err
		}, codes.Unimplemented, "teleport"},
		{"unknown patch type", func() error {
			_, err := raw.Patch(ctx, &resourcev1.PatchRequest{Resource: podsGVR, Namespace: "default", Name: "ok", PatchType: "text/plain", Patch: []byte("x")})
			return err
		}, codes.InvalidArgument, "text/plain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			st, _ := status.FromError(err)
			require.Equal(t, tc.code, st.Code(), "code for %q", st.Message())
			require.Contains(t, st.Message(), tc.mention)
		})
	}

	c := cl.Client()
	// No single field is over a validation limit, but the whole pod is over the storage limit.
	big := podSpec("nginx")
	for i := 0; i < 20; i++ {
		big.Containers[0].Env = append(big.Containers[0].Env, &corev1.EnvVar{Name: fmt.Sprintf("BLOB_%d", i), Value: strings.Repeat("x", 100*1024)})
	}
	_, err = c.Pods("default").Create(ctx, &corev1.Pod{Metadata: meta("huge", nil), Spec: big})
	require.True(t, apierrors.IsTooLarge(err), "oversized object: %v", err)
	tooBigForGRPC := &corev1.ConfigMap{Metadata: meta("huger", nil), Data: map[string]string{"blob": strings.Repeat("x", 5*1024*1024)}}
	_, err = c.ConfigMaps("default").Create(ctx, tooBigForGRPC)
	require.Error(t, err)
	require.Equal(t, codes.ResourceExhausted, status.Code(err), "message over the gRPC limit: %v", err)

	badNames := []*corev1.ConfigMap{
		{Metadata: meta("Upper_Case", nil)},
		{Metadata: meta(strings.Repeat("a", 254), nil)},
		{Metadata: meta("ok-name", map[string]string{"bad key!": "v"})},
		{Metadata: meta("ok-name", map[string]string{"k": strings.Repeat("v", 64)})},
		{Metadata: &metav1.ObjectMeta{}},
	}
	for _, obj := range badNames {
		_, err := c.ConfigMaps("default").Create(ctx, obj)
		require.True(t, apierrors.IsInvalid(err), "%v: %v", obj.GetMetadata(), err)
		require.NotEmpty(t, apierrors.Causes(err))
	}

	// Nothing of the above was written.
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, list.Items)
	pods, err := c.Pods("").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, pods.Items)
}
