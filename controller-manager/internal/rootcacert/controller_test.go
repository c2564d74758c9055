package rootcacert

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

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func namespace(name, phase string) *corev1.Namespace {
	return &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: name}, Status: &corev1.NamespaceStatus{Phase: phase}}
}

func configMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: ConfigMapName, Namespace: "team"}, Data: data}
}

func TestReconcile(t *testing.T) {
	tests := []struct {
		name             string
		objs             []scheme.Object
		creates, updates int
		want             map[string]string // the config map's data afterwards; nil: none
	}{
		{"active namespace gets the certificate", []scheme.Object{namespace("team", "Active")}, 1, 0, map[string]string{DataKey: ca}},
		{"current certificate is left alone", []scheme.Object{namespace("team", "Active"), configMap(map[string]string{DataKey: ca})}, 0, 0,
			map[string]string{DataKey: ca}},
		{"changed certificate is put back, other keys kept", []scheme.Object{namespace("team", "Active"),
			configMap(map[string]string{DataKey: "forged", "other": "x"})}, 0, 1, map[string]string{DataKey: ca, "other": "x"}},
		{"terminating namespace gets none", []scheme.Object{namespace("team", "Terminating")}, 0, 0, nil},
		{"missing namespace gets none", nil, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, tt.objs...)
			clk := clock.NewFake(time.Unix(1_700_000_000, 0))
			f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
			c, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), []byte(ca))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			runCtx, stop := context.WithCancel(ctx)
			defer func() { stop(); f.Shutdown() }()
			f.Start(runCtx)
			require.True(t, f.WaitForSync(ctx))
			_, err = c.reconcile(ctx, "team")
			require.NoError(t, err)
			require.Equal(t, tt.creates, srv.Calls(clienttest.Create, "configmaps"))
			require.Equal(t, tt.updates, srv.Calls(clienttest.Update, "configmaps"))
			cm, ok := clienttest.Stored[*corev1.ConfigMap](srv, "team", ConfigMapName)
			if tt.want == nil {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.want, cm.GetData())
		})
	}
}

func TestNewRefusesAnEmptyCertificate(t *testing.T) {
	srv := clienttest.Start(t)
	_, err := New(srv.Client(), informer.NewFactory(srv.Client(), informer.FactoryOptions{}), nil, clock.RealClock{}, nil, nil)
	require.Error(t, err)
}
