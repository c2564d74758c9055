package csrsigning

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

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
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// Name is the controller's name for --controllers.
const Name = "csrsigning"

// Failure reasons of the Failed condition.
const (
	// ReasonValidation: the request breaks its signer's rules.
	ReasonValidation = "SignerValidationFailure"
	// ReasonSigning: the CA cannot sign (expired, or its key does not sign).
	ReasonSigning = "SigningFailure"
)

// minDuration is the shortest validity a request may ask for, as in Kubernetes.
const minDuration = 10 * time.Minute

// Options configure the signer.
type Options struct {
	// CA signs; required.
	CA *CA
	// Duration is the longest validity of an issued certificate (--cluster-signing-duration,
	// default one year); a request's spec.expirationSeconds shortens it, but not under ten
	// minutes.
	Duration time.Duration
}

// validators are the built-in signers this controller serves, with their rules.
var validators = map[string]func(*x509.CertificateRequest, []string) error{
	csr.KubeAPIServerClientKubeletSigner: csr.ValidateKubeletClient,
	csr.KubeAPIServerClientSigner:        csr.ValidateAPIServerClient,
	csr.KubeletServingSigner:             csr.ValidateKubeletServing,
}

// Controller signs approved requests. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client *client.Client
	csrs   *informer.Informer[*certificatesv1.CertificateSigningRequest]
	opts   Options
	clock  clock.Clock
	queue  workqueue.RateLimitingInterface[string]
	lg     *zap.Logger
}

// New returns a signer reading requests from f and writing certificates through c. It starts
// nothing.
func New(c *client.Client, f *informer.Factory, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if opts.CA == nil {
		return nil, fmt.Errorf("csrsigning: a CA is required")
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if opts.Duration <= 0 {
		opts.Duration = 365 * 24 * time.Hour
	}
	ctl := &Controller{
		client: c,
		csrs:   informer.For[*certificatesv1.CertificateSigningRequest](f),
		opts:   opts,
		clock:  clk,
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		lg: lg.Named(Name),
	}
	ctl.csrs.AddHandler(controller.Enqueue[*certificatesv1.CertificateSigningRequest](ctl.queue))
	return ctl, nil
}

// Run signs with workers goroutines until ctx ends. The caller starts the factory and waits for
// it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting certificate signing request signer", zap.String("ca", c.opts.CA.Cert.Subject.String()),
		zap.Duration("duration", c.opts.Duration))
	return controller.New(Name, c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile issues the certificate of the approved request named key, or marks it Failed.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	r, ok := c.csrs.Lister().Get("", key)
	if !ok {
		return controller.Result{}, nil
	}
	next, changed := c.Handle(r)
	if !changed {
		return controller.Result{}, nil
	}
	_, err := c.client.CertificateSigningRequests().UpdateStatus(ctx, next)
	switch {
	case err == nil:
		if len(next.GetStatus().GetCertificate()) > 0 {
			c.lg.Info("issued certificate", zap.String("csr", key), zap.String("signer", r.GetSpec().GetSignerName()))
		} else {
			c.lg.Warn("certificate signing request failed", zap.String("csr", key), zap.String("message", csr.Condition(next, csr.Failed).GetMessage()))
		}
	case apierrors.IsNotFound(err):
	default:
		return controller.Result{}, fmt.Errorf("write status of certificate signing request %s: %w", key, err)
	}
	return controller.Result{}, nil
}

// Handle returns r as it should be stored once judged, and whether that differs from r: with the
// certificate when r is approved, not yet issued, to a signer this controller serves and valid
// for it; with a Failed condition when it breaks its signer's rules or the CA cannot sign it.
func (c *Controller) Handle(r *certificatesv1.CertificateSigningRequest) (*certificatesv1.CertificateSigningRequest, bool) {
	spec := r.GetSpec()
	validate, ours := validators[spec.GetSignerName()]
	if !ours || !csr.Has(r, csr.Approved) || csr.Has(r, csr.Denied) || csr.Has(r, csr.Failed) || len(r.GetStatus().GetCertificate()) > 0 {
		return nil, false
	}
	next := proto.Clone(r).(*certificatesv1.CertificateSigningRequest)
	if next.Status == nil {
		next.Status = &certificatesv1.CertificateSigningRequestStatus{}
	}
	now := c.clock.Now()
	fail := func(reason string, err error) (*certificatesv1.CertificateSigningRequest, bool) {
		ts := timestamppb.New(now)
		next.Status.Conditions = append(next.Status.Conditions, &certificatesv1.CertificateSigningRequestCondition{
			Type: csr.Failed, Status: "True", Reason: reason, Message: err.Error(), LastUpdateTime: ts, LastTransitionTime: ts,
		})
		return next, true
	}
	req, err := csr.ParseRequest(spec.GetRequest())
	if err != nil {
		return fail(ReasonValidation, err)
	}
	if err := validate(req, spec.GetUsages()); err != nil {
		return fail(ReasonValidation, fmt.Errorf("invalid request for %s: %w", spec.GetSignerName(), err))
	}
	cert, err := c.opts.CA.Sign(req, spec.GetUsages(), now, c.duration(spec))
	if err != nil {
		return fail(ReasonSigning, err)
	}
	next.Status.Certificate = cert
	return next, true
}

// duration is the validity of a certificate for spec, as Kubernetes' signer sets it: the
// configured duration, shortened to spec.expirationSeconds when that asks for less. A request
// may not ask for under ten minutes; the configured duration itself may be shorter (a test's
// short-lived certificates).
func (c *Controller) duration(spec *certificatesv1.CertificateSigningRequestSpec) time.Duration {
	if spec.ExpirationSeconds == nil {
		return c.opts.Duration
	}
	asked := max(time.Duration(spec.GetExpirationSeconds())*time.Second, minDuration)
	return min(c.opts.Duration, asked)
}
