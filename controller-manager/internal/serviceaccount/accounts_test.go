package serviceaccount

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startFactory starts f until the test ends and waits for it to sync.
func startFactory(t *testing.T, f *informer.Factory) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
}

func namespace(name, phase string) *corev1.Namespace {
	return &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: name}, Status: &corev1.NamespaceStatus{Phase: phase}}
}

func account(ns, name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{Metadata: &metav1.ObjectMeta{Name: name, Namespace: ns, Uid: "uid-" + ns + "-" + name}}
}

func TestServiceAccountsReconcile(t *testing.T) {
	tests := []struct {
		name    string
		objs    []scheme.Object
		opts    Options
		created []string // names created in namespace "team"
	}{
		{"active namespace gets default", []scheme.Object{namespace("team", "Active")}, Options{}, []string{"default"}},
		{"existing default is kept", []scheme.Object{namespace("team", "Active"), account("team", "default")}, Options{}, nil},
		{"terminating namespace gets none", []scheme.Object{namespace("team", "Terminating")}, Options{}, nil},
		{"missing namespace gets none", nil, Options{}, nil},
		{"every configured account", []scheme.Object{namespace("team", "Active"), account("team", "builder")},
			Options{ServiceAccounts: []string{"default", "builder", "deployer"}}, []string{"default", "deployer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, tt.objs...)
			clk := clock.NewFake(epoch)
			f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
			c, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), tt.opts)
			require.NoError(t, err)
			startFactory(t, f)
			_, err = c.reconcile(testContext(t), "team")
			require.NoError(t, err)
			require.Equal(t, len(tt.created), srv.Calls(clienttest.Create, "serviceaccounts"))
			for _, name := range tt.created {
				_, ok := clienttest.Stored[*corev1.ServiceAccount](srv, "team", name)
				require.True(t, ok, "%s created", name)
			}
		})
	}
}
