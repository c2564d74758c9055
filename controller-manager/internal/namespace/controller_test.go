package namespace

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func namespace(name string, deleted bool) *corev1.Namespace {
	ns := &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &corev1.NamespaceSpec{Finalizers: []string{FinalizerKubernetes}}, Status: &corev1.NamespaceStatus{Phase: "Active"}}
	if deleted {
		ns.Metadata.DeletionTimestamp = timestamppb.New(epoch)
		ns.Status.Phase = "Terminating"
	}
	return ns
}

func objMeta(ns, name string, finalizers ...string) *metav1.ObjectMeta {
	return &metav1.ObjectMeta{Name: name, Namespace: ns, Finalizers: finalizers}
}

func condition(ns *corev1.Namespace, typ string) *corev1.NamespaceCondition {
	for _, c := range ns.GetStatus().GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

func TestReconcile(t *testing.T) {
	type check struct {
		status, message string
	}
	tests := []struct {
		name       string
		objs       []scheme.Object
		failDelete string // resource whose deletes fail
		wantErr    bool
		nsGone     bool
		left       []string // "resource/name" left in team
		conditions map[string]check
	}{{
		name: "a live namespace is left alone",
		objs: []scheme.Object{namespace("team", false), &corev1.ConfigMap{Metadata: objMeta("team", "cfg")}},
		left: []string{"configmaps/cfg"},
	}, {
		name: "every namespaced kind is deleted, then the namespace finalized",
		objs: []scheme.Object{namespace("team", true),
			&corev1.ConfigMap{Metadata: objMeta("team", "cfg")}, &corev1.Secret{Metadata: objMeta("team", "s")},
			&corev1.Pod{Metadata: objMeta("team", "p")}, &appsv1.Deployment{Metadata: objMeta("team", "d")},
			&corev1.ConfigMap{Metadata: objMeta("other", "keep")}},
		nsGone: true,
	}, {
		name: "content held by finalizers keeps the namespace and says why",
		objs: []scheme.Object{namespace("team", true), &corev1.ConfigMap{Metadata: objMeta("team", "held", "example.com/hold")},
			&corev1.Secret{Metadata: objMeta("team", "s")}},
		wantErr: true,
		left:    []string{"configmaps/held"},
		conditions: map[string]check{
			ConditionContentRemaining:    {"True", "Some resources are remaining: configmaps. has 1 resource instances"},
			ConditionFinalizersRemaining: {"True", "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"},
			ConditionContentFailure:      {"False", "All content successfully deleted, may be waiting on finalization"},
			ConditionDiscoveryFailure:    {"False", "All resources successfully discovered"},
		},
	}, {
		name:       "failed deletes are reported",
		objs:       []scheme.Object{namespace("team", true), &corev1.ConfigMap{Metadata: objMeta("team", "cfg")}},
		failDelete: "configmaps",
		wantErr:    true,
		left:       []string{"configmaps/cfg"},
		conditions: map[string]check{
			ConditionContentFailure: {"True", ""},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv := clienttest.Start(t, tt.objs...)
			if tt.failDelete != "" {
				srv.Intercept(func(c clienttest.Call) error {
					if c.Verb == clienttest.Delete && c.Resource == tt.failDelete {
						return apierrors.NewInternal(errors.New("storage is down"))
					}
					return nil
				})
			}
			clk := clock.NewFake(epoch.Add(time.Minute))
			f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
			c, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), Options{})
			require.NoError(t, err)
			runCtx, stop := context.WithCancel(context.Background())
			t.Cleanup(func() { stop(); f.Shutdown() })
			f.Start(runCtx)
			require.True(t, f.WaitForSync(ctx))

			_, err = c.reconcile(ctx, "team")
			if tt.wantErr {
				require.ErrorIs(t, err, errContentRemaining)
			} else {
				require.NoError(t, err)
			}
			ns, ok := clienttest.Stored[*corev1.Namespace](srv, "", "team")
			require.Equal(t, tt.nsGone, !ok, "namespace gone")
			var left []string
			for _, k := range srv.Client().Scheme().Kinds() {
				if !k.Namespaced {
					continue
				}
				for _, o := range listStored(t, srv, k, "team") {
					left = append(left, k.Resource+"/"+o)
				}
			}
			require.ElementsMatch(t, tt.left, left)
			_, ok = clienttest.Stored[*corev1.ConfigMap](srv, "other", "keep")
			require.Equal(t, tt.nsGone, ok, "other namespaces keep their content")
			for typ, want := range tt.conditions {
				got := condition(ns, typ)
				require.NotNil(t, got, "condition %s", typ)
				require.Equal(t, want.status, got.GetStatus(), typ)
				if want.message != "" {
					require.Equal(t, want.message, got.GetMessage(), typ)
				}
			}
		})
	}
}

// listStored names the objects of kind k in namespace through the server's client.
func listStored(t *testing.T, srv *clienttest.Server, k *scheme.Kind, namespace string) []string {
	t.Helper()
	srv.Intercept(nil)
	list, err := client.ForKind(srv.Client(), k, namespace).List(context.Background(), client.ListOptions{})
	require.NoError(t, err)
	var names []string
	for _, o := range list.Items {
		names = append(names, o.GetMetadata().GetName())
	}
	return names
}

func TestMergeConditionsKeepsTransitionTimes(t *testing.T) {
	t0, t1 := epoch, epoch.Add(time.Hour)
	first, changed := mergeConditions(nil, progress{}.conditions(), t0)
	require.True(t, changed)
	again, changed := mergeConditions(first, progress{}.conditions(), t1)
	require.False(t, changed, "same conditions, no write")
	require.Equal(t, t0, again[0].GetLastTransitionTime().AsTime())
	flipped, changed := mergeConditions(again, progress{remaining: map[string]int{"pods.": 1}}.conditions(), t1)
	require.True(t, changed)
	for _, c := range flipped {
		if c.GetType() == ConditionContentRemaining {
			require.Equal(t, t1, c.GetLastTransitionTime().AsTime())
		} else {
			require.Equal(t, t0, c.GetLastTransitionTime().AsTime())
		}
	}
}
