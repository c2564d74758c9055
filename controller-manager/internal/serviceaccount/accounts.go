package serviceaccount

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// DefaultServiceAccount is the account every namespace gets.
const DefaultServiceAccount = "default"

// Options configure the service accounts controller.
type Options struct {
	// ServiceAccounts are the accounts every active namespace gets (default: just "default").
	ServiceAccounts []string
}

// Controller is the service accounts controller. Create it with New, then Run it once its
// factory has synced.
type Controller struct {
	client     *client.Client
	namespaces *informer.Informer[*corev1.Namespace]
	accounts   *informer.Informer[*corev1.ServiceAccount]
	names      []string
	queue      workqueue.RateLimitingInterface[string]
	rec        *events.Recorder
	lg         *zap.Logger
}

// New returns a service accounts controller reading namespaces and service accounts from f's
// informers and writing through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	names := opts.ServiceAccounts
	if len(names) == 0 {
		names = []string{DefaultServiceAccount}
	}
	ctl := &Controller{
		client:     c,
		namespaces: informer.For[*corev1.Namespace](f),
		accounts:   informer.For[*corev1.ServiceAccount](f),
		names:      names,
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		rec: rec,
		lg:  lg.Named("serviceaccount"),
	}
	addNamespace := func(ns *corev1.Namespace) { ctl.queue.Add(ns.GetMetadata().GetName()) }
	ctl.namespaces.AddHandler(informer.Handler[*corev1.Namespace]{
		OnAdd:    addNamespace,
		OnUpdate: func(_, ns *corev1.Namespace) { addNamespace(ns) },
	})
	ctl.accounts.AddHandler(informer.Handler[*corev1.ServiceAccount]{
		OnDelete: func(sa *corev1.ServiceAccount) { ctl.queue.Add(sa.GetMetadata().GetNamespace()) },
	})
	return ctl, nil
}

// Run reconciles namespaces with workers goroutines until ctx ends. The caller starts the factory
// and waits for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting service account controller", zap.Strings("accounts", c.names))
	return controller.New("serviceaccount", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile creates the missing accounts of the namespace key names, when it is active.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, ok := c.namespaces.Lister().Get("", key)
	if !ok || ns.GetStatus().GetPhase() == "Terminating" || ns.GetMetadata().GetDeletionTimestamp() != nil {
		return controller.Result{}, nil
	}
	for _, name := range c.names {
		if _, ok := c.accounts.Lister().Get(key, name); ok {
			continue
		}
		sa := &corev1.ServiceAccount{Metadata: &metav1.ObjectMeta{Name: name, Namespace: key}}
		_, err := c.client.ServiceAccounts(key).Create(ctx, sa)
		switch {
		case err == nil:
			c.lg.Debug("created service account", zap.String("namespace", key), zap.String("name", name))
		case apierrors.IsAlreadyExists(err):
			// The informer has not seen it yet.
		case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
			// The namespace began terminating or is gone: no account belongs in it.
			return controller.Result{}, nil
		default:
			if c.rec != nil {
				c.rec.Eventf(ns, events.TypeWarning, "FailedCreate", "Error creating service account %s: %v", name, err)
			}
			return controller.Result{}, fmt.Errorf("create service account %s: %w", scheme.Key(sa), err)
		}
	}
	return controller.Result{}, nil
}
