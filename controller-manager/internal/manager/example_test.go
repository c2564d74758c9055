package manager_test

import (
	"context"

	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// A controller joins the controller manager through a Constructor: it takes its informers from
// the shared factory (which starts only after every constructor has returned), makes its recorder
// from the Context, and returns something with Run(ctx) error that the manager starts once the
// informers have synced. The server lists it in Controllers():
//
//	{Name: "endpoints", New: endpoints.New},
func Example() {
	newEndpoints := func(ctx *manager.Context) (manager.Controller, error) {
		services := informer.For[*corev1.Service](ctx.Informers)
		informer.For[*corev1.Pod](ctx.Informers) // shared with every other controller reading pods
		recorder := ctx.Recorder("endpoint-controller")
		queue := workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string]())
		services.AddHandler(controller.Enqueue[*corev1.Service](queue))
		reconcile := func(context.Context, string) (controller.Result, error) {
			_ = recorder // read the listers, write through ctx.Client, record events
			return controller.Result{}, nil
		}
		return controller.New("endpoints", queue, reconcile, 5, controller.WithLogger(ctx.Logger)), nil
	}
	_ = manager.Registration{Name: "endpoints", New: newEndpoints}
}
