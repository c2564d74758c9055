// Package registrytest runs a registry on a throwaway in-process etcd for the apiserver's tests.
package registrytest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Start runs a registry of the built-in kinds on an in-process etcd, with admitters built by
// admission from it added in order, and returns it ready with a context that ends with the test
// (30 s at most). The registry stops when the test ends.
func Start(t *testing.T, admission ...func(*registry.Registry) (registry.Admitter, error)) (*registry.Registry, context.Context) {
	t.Helper()
	e, _ := etcdtest.Start(t)
	cli := v3client.New(e.Server)
	t.Cleanup(func() { _ = cli.Close() })
	sch := scheme.Builtin()
	reg, err := registry.New(registry.Config{Scheme: sch, Storage: storage.New(cli, storage.NewCodec(sch), storage.Options{})})
	require.NoError(t, err)
	for _, build := range admission {
		ad, err := build(reg)
		require.NoError(t, err)
		reg.AddAdmission(ad)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- reg.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	require.NoError(t, reg.WaitReady(ctx))
	return reg, ctx
}

// Store returns reg's store of the core v1 resource.
func Store(t *testing.T, reg *registry.Registry, resource string) *registry.Store {
	t.Helper()
	s, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: resource})
	require.NoError(t, err)
	return s
}

// Namespace creates the namespace name.
func Namespace(ctx context.Context, t *testing.T, reg *registry.Registry, name string) {
	t.Helper()
	_, err := Store(t, reg, "namespaces").Create(ctx, "", &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: name}}, registry.CreateOptions{})
	require.NoError(t, err)
}
