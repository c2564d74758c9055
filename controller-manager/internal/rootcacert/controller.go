package rootcacert

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
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Name is the controller's name in --controllers.
const Name = "root-ca-cert-publisher"

// ConfigMapName names the published ConfigMap, and DataKey its key holding the PEM certificate.
const (
	ConfigMapName = "kube-root-ca.crt"
	DataKey       = "ca.crt"
)

// Controller publishes the root CA. Create it with New, then Run it once its factory has synced.
type Controller struct {
	client     *client.Client
	namespaces *informer.Informer[*corev1.Namespace]
	configMaps *informer.Informer[*corev1.ConfigMap]
	ca         string
	queue      workqueue.RateLimitingInterface[string]
	rec        *events.Recorder
	lg         *zap.Logger
}

// New returns a publisher of rootCA (PEM) reading namespaces and config maps from f's informers
// and writing through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, rootCA []byte) (*Controller, error) {
	if len(rootCA) == 0 {
		return nil, fmt.Errorf("%s: the root CA certificate is empty", Name)
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	ctl := &Controller{
		client:     c,
		namespaces: informer.For[*corev1.Namespace](f),
		configMaps: informer.For[*corev1.ConfigMap](f),
		ca:         string(rootCA),
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		rec: rec,
		lg:  lg.Named("rootcacert"),
	}
	addNamespace := func(ns *corev1.Namespace) { ctl.queue.Add(ns.GetMetadata().GetName()) }
	ctl.namespaces.AddHandler(informer.Handler[*corev1.Namespace]{
		OnAdd:    addNamespace,
		OnUpdate: func(_, ns *corev1.Namespace) { addNamespace(ns) },
	})
	changed := func(cm *corev1.ConfigMap) {
		if cm.GetMetadata().GetName() == ConfigMapName {
			ctl.queue.Add(cm.GetMetadata().GetNamespace())
		}
	}
	ctl.configMaps.AddHandler(informer.Handler[*corev1.ConfigMap]{
		OnUpdate: func(_, cm *corev1.ConfigMap) { changed(cm) },
		OnDelete: changed,
	})
	return ctl, nil
}

// Run reconciles namespaces with workers goroutines until ctx ends. The caller starts the factory
// and waits for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting root CA certificate publisher")
	return controller.New(Name, c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile makes the ConfigMap of the namespace key names hold the root CA, when the namespace is
// active: it creates a missing one and puts back a changed certificate.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, ok := c.namespaces.Lister().Get("", key)
	if !ok || ns.GetStatus().GetPhase() == "Terminating" || ns.GetMetadata().GetDeletionTimestamp() != nil {
		return controller.Result{}, nil
	}
	cur, ok := c.configMaps.Lister().Get(key, ConfigMapName)
	var err error
	switch {
	case !ok:
		_, err = c.client.ConfigMaps(key).Create(ctx, &corev1.ConfigMap{
			Metadata: &metav1.ObjectMeta{Name: ConfigMapName, Namespace: key},
			Data:     map[string]string{DataKey: c.ca},
		})
		if apierrors.IsAlreadyExists(err) {
			err = nil // the informer has not seen it yet; its add brings it back here
		}
	case cur.GetData()[DataKey] != c.ca:
		next := cur.CloneVT()
		if next.Data == nil {
			next.Data = map[string]string{}
		}
		next.Data[DataKey] = c.ca
		_, err = c.client.ConfigMaps(key).Update(ctx, next)
	}
	switch {
	case err == nil:
		return controller.Result{}, nil
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
		// The namespace began terminating or is gone: nothing belongs in it.
		return controller.Result{}, nil
	}
	if c.rec != nil {
		c.rec.Eventf(ns, events.TypeWarning, "FailedPublish", "Error publishing %s: %v", ConfigMapName, err)
	}
	return controller.Result{}, fmt.Errorf("publish %s/%s: %w", key, ConfigMapName, err)
}
