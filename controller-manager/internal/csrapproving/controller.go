package csrapproving

import (
	"context"
	"fmt"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/csr"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Name is the controller's name for --controllers.
const Name = "csrapproving"

// Options configure the approver.
type Options struct {
	// Authorizer decides whether a requestor may have the certificate (default: a
	// ReviewAuthorizer asking the apiserver through the controller's client).
	Authorizer Authorizer
}

// Controller approves kubelet client certificate requests. Create it with New, then Run it once
// its factory has synced.
type Controller struct {
	client *client.Client
	csrs   *informer.Informer[*certificatesv1.CertificateSigningRequest]
	nodes  *informer.Informer[*corev1.Node]
	authz  Authorizer
	clock  clock.Clock
	queue  workqueue.RateLimitingInterface[string]
	lg     *zap.Logger
}

// New returns an approver reading requests and nodes from f and approving through c. It starts
// nothing.
func New(c *client.Client, f *informer.Factory, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if opts.Authorizer == nil {
		opts.Authorizer = ReviewAuthorizer{Reviews: client.For[*authorizationv1.SubjectAccessReview](c, "")}
	}
	ctl := &Controller{
		client: c,
		csrs:   informer.For[*certificatesv1.CertificateSigningRequest](f),
		nodes:  informer.For[*corev1.Node](f),
		authz:  opts.Authorizer,
		clock:  clk,
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		lg: lg.Named(Name),
	}
	ctl.csrs.AddHandler(controller.Enqueue[*certificatesv1.CertificateSigningRequest](ctl.queue))
	return ctl, nil
}

// Run approves with workers goroutines until ctx ends. The caller starts the factory and waits
// for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting certificate signing request approver")
	return controller.New(Name, c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile approves the request named key when Decide says so.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	r, ok := c.csrs.Lister().Get("", key)
	if !ok || !csr.Pending(r) || len(r.GetStatus().GetCertificate()) > 0 {
		return controller.Result{}, nil
	}
	d, err := Decide(ctx, r, c.authz, c.nodeExists)
	if err != nil {
		return controller.Result{}, fmt.Errorf("decide on certificate signing request %s: %w", key, err)
	}
	if !d.Approve {
		if d.Why != "" {
			c.lg.Debug("not approving certificate signing request", zap.String("csr", key), zap.String("why", d.Why))
		}
		return controller.Result{}, nil
	}
	next := proto.Clone(r).(*certificatesv1.CertificateSigningRequest)
	if next.Status == nil {
		next.Status = &certificatesv1.CertificateSigningRequestStatus{}
	}
	now := timestamppb.New(c.clock.Now())
	next.Status.Conditions = append(next.Status.Conditions, &certificatesv1.CertificateSigningRequestCondition{
		Type: csr.Approved, Status: "True", Reason: "AutoApproved", Message: d.Message,
		LastUpdateTime: now, LastTransitionTime: now,
	})
	_, err = c.client.CertificateSigningRequests().UpdateSubresource(ctx, next, "approval")
	switch {
	case err == nil:
		c.lg.Info("approved certificate signing request", zap.String("csr", key), zap.String("requestor", r.GetSpec().GetUsername()))
	case apierrors.IsNotFound(err):
	default:
		return controller.Result{}, fmt.Errorf("approve certificate signing request %s: %w", key, err)
	}
	return controller.Result{}, nil
}

// nodeExists reports whether the informer cache holds the node.
func (c *Controller) nodeExists(name string) bool {
	_, ok := c.nodes.Lister().Get("", name)
	return ok
}
