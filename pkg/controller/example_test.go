package controller_test

import (
	"context"
	"fmt"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/run"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// A controller that labels every service: the shared informer feeds the queue, and the reconcile
// reads the informer's copy and writes through the API. Errors retry with backoff; the periodic
// requeue re-checks even if no event comes.
func Example() {
	var c *client.Client // from client.New
	informers := informer.NewFactory(c, informer.FactoryOptions{})
	services := informer.For[*corev1.Service](informers)
	queue := workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string]())
	services.AddHandler(controller.Enqueue[*corev1.Service](queue))

	reconcile := func(ctx context.Context, key string) (controller.Result, error) {
		ns, name, err := controller.SplitKey(key)
		if err != nil {
			return controller.Result{}, nil // not a key this controller queued: nothing to retry
		}
		svc, ok := services.Lister().Get(ns, name)
		if !ok || svc.GetMetadata().GetLabels()["labelled"] == "true" {
			return controller.Result{RequeueAfter: 10 * time.Minute}, nil
		}
		svc = svc.CloneVT() // the informer's copy is shared
		if svc.Metadata.Labels == nil {
			svc.Metadata.Labels = map[string]string{}
		}
		svc.Metadata.Labels["labelled"] = "true"
		if _, err := c.Services(ns).Update(ctx, svc); err != nil && !apierrors.IsNotFound(err) {
			return controller.Result{}, fmt.Errorf("label service %s: %w", key, err)
		}
		return controller.Result{}, nil
	}
	ctrl := controller.New("labeller", queue, reconcile, 2)

	serve := func(ctx context.Context) error {
		return run.Group(ctx, informers.Run, func(ctx context.Context) error {
			if !informers.WaitForSync(ctx) {
				return nil
			}
			return ctrl.Run(ctx)
		})
	}
	_ = serve // the daemon's server runs serve(ctx)
}
