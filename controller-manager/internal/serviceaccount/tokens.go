package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Secret type, annotations and data keys of service account token secrets, as Kubernetes names
// them.
const (
	SecretTypeToken = "kubernetes.io/service-account-token"
	AnnotationName  = "kubernetes.io/service-account.name"
	AnnotationUID   = "kubernetes.io/service-account.uid"
	KeyToken        = "token"
	KeyCACert       = "ca.crt"
	KeyNamespace    = "namespace"
)

// expectationsTTL bounds how long the controller waits to see a token secret it created before
// it trusts its cache again.
const expectationsTTL = 5 * time.Minute

// TokensOptions configure the tokens controller.
type TokensOptions struct {
	// PrivateKeyFile is the PEM file of the RSA or ECDSA key tokens are signed with
	// (--service-account-private-key-file). Empty disables the controller: Run then only logs
	// that and waits.
	PrivateKeyFile string
	// RootCAFile, when set, is the PEM bundle put into each token secret as ca.crt.
	RootCAFile string
}

// TokensController is the tokens controller. Create it with NewTokens, then Run it once its
// factory has synced.
type TokensController struct {
	client   *client.Client
	accounts *informer.Informer[*corev1.ServiceAccount]
	secrets  *informer.Informer[*corev1.Secret]
	signer   *serviceaccount.Signer
	rootCA   []byte
	expect   *controller.Expectations
	queue    workqueue.RateLimitingInterface[string]
	rec      *events.Recorder
	lg       *zap.Logger
}

// NewTokens returns a tokens controller reading service accounts and secrets from f's informers
// and writing through c. It reads the key files now and fails if they are unusable. Without
// opts.PrivateKeyFile it registers nothing on f. It starts nothing.
func NewTokens(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts TokensOptions) (*TokensController, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	ctl := &TokensController{client: c, rec: rec, lg: lg.Named("serviceaccount-token")}
	if opts.PrivateKeyFile == "" {
		return ctl, nil
	}
	key, err := serviceaccount.ReadPrivateKeyFile(opts.PrivateKeyFile)
	if err != nil {
		return nil, err
	}
	if ctl.signer, err = serviceaccount.NewSigner(key); err != nil {
		return nil, err
	}
	if opts.RootCAFile != "" {
		if ctl.rootCA, err = os.ReadFile(opts.RootCAFile); err != nil {
			return nil, fmt.Errorf("read root CA file: %w", err)
		}
	}
	ctl.accounts = informer.For[*corev1.ServiceAccount](f)
	ctl.secrets = informer.For[*corev1.Secret](f)
	ctl.expect = controller.NewExpectations(clk, expectationsTTL)
	ctl.queue = workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
		workqueue.WithClock(clk))
	enqueueAccount := func(sa *corev1.ServiceAccount) {
		ctl.queue.Add(accountKey(sa.GetMetadata().GetNamespace(), sa.GetMetadata().GetName()))
	}
	ctl.accounts.AddHandler(informer.Handler[*corev1.ServiceAccount]{
		OnAdd:    enqueueAccount,
		OnUpdate: func(_, sa *corev1.ServiceAccount) { enqueueAccount(sa) },
		OnDelete: enqueueAccount,
	})
	onSecret := func(s *corev1.Secret, created bool) {
		if s.GetType() != SecretTypeToken || s.GetMetadata().GetAnnotations()[AnnotationName] == "" {
			return
		}
		key := accountKey(s.GetMetadata().GetNamespace(), s.GetMetadata().GetAnnotations()[AnnotationName])
		if created {
			ctl.expect.CreationObserved(key)
		}
		ctl.queue.Add(key)
	}
	ctl.secrets.AddHandler(informer.Handler[*corev1.Secret]{
		OnAdd:    func(s *corev1.Secret) { onSecret(s, true) },
		OnUpdate: func(_, s *corev1.Secret) { onSecret(s, false) },
		OnDelete: func(s *corev1.Secret) { onSecret(s, false) },
	})
	return ctl, nil
}

func accountKey(namespace, name string) string { return namespace + "/" + name }

// Run reconciles service accounts with workers goroutines until ctx ends, and returns once every
// worker has stopped. Without a private key it logs that the controller is off and waits for ctx.
func (c *TokensController) Run(ctx context.Context, workers int) error {
	if c.signer == nil {
		c.lg.Info("not starting the service account token controller: no --service-account-private-key-file")
		<-ctx.Done()
		return nil
	}
	c.lg.Info("starting service account token controller", zap.Int("workers", workers))
	return controller.New("serviceaccount-token", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile gives the service account key names one populated token secret and removes token
// secrets of accounts that are gone (or were replaced under the same name).
func (c *TokensController) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil
	}
	sa, exists := c.accounts.Lister().Get(ns, name)
	uid := sa.GetMetadata().GetUid()
	var mine []*corev1.Secret
	for _, s := range c.secrets.Lister().ListNamespace(ns) {
		a := s.GetMetadata().GetAnnotations()
		if s.GetType() != SecretTypeToken || a[AnnotationName] != name {
			continue
		}
		if !exists || (a[AnnotationUID] != "" && a[AnnotationUID] != uid) {
			if err := c.client.Secrets(ns).Delete(ctx, s.GetMetadata().GetName(),
				client.DeleteOptions{PreconditionUID: s.GetMetadata().GetUid()}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return controller.Result{}, fmt.Errorf("delete token secret %s/%s: %w", ns, s.GetMetadata().GetName(), err)
			}
			continue
		}
		mine = append(mine, s)
	}
	if !exists || sa.GetMetadata().GetDeletionTimestamp() != nil {
		c.expect.Delete(key)
		return controller.Result{}, nil
	}
	// Fill in token secrets a user created for the account, as Kubernetes does.
	populated := false
	for _, s := range mine {
		if len(s.GetData()[KeyToken]) > 0 {
			populated = true
			continue
		}
		if err := c.populate(ctx, sa, s); err != nil {
			return controller.Result{}, err
		}
		populated = true
	}
	if !c.expect.Satisfied(key) {
		return controller.Result{}, nil // our secret is on its way to the cache; its add requeues
	}
	if !populated {
		return controller.Result{}, c.create(ctx, sa)
	}
	return controller.Result{}, c.updateReferences(ctx, sa, mine)
}

// updateReferences lists sa's token secrets in sa.secrets, as Kubernetes' legacy token controller
// does, and drops references to token secrets of the account that no longer exist. References to
// other secrets are the user's and stay.
func (c *TokensController) updateReferences(ctx context.Context, sa *corev1.ServiceAccount, tokens []*corev1.Secret) error {
	m := sa.GetMetadata()
	exists := map[string]bool{}
	for _, s := range tokens {
		exists[s.GetMetadata().GetName()] = true
	}
	prefix := m.GetName() + "-token-"
	var refs []*corev1.ObjectReference
	listed := map[string]bool{}
	changed := false
	for _, r := range sa.GetSecrets() {
		if strings.HasPrefix(r.GetName(), prefix) && !exists[r.GetName()] {
			if _, ok := c.secrets.Lister().Get(m.GetNamespace(), r.GetName()); !ok {
				changed = true
				continue // a token secret that is gone
			}
		}
		refs = append(refs, r)
		listed[r.GetName()] = true
	}
	for _, s := range tokens {
		if !listed[s.GetMetadata().GetName()] {
			refs = append(refs, &corev1.ObjectReference{Name: s.GetMetadata().GetName()})
			changed = true
		}
	}
	if !changed {
		return nil
	}
	next := sa.CloneVT()
	next.Secrets = refs
	_, err := c.client.ServiceAccounts(m.GetNamespace()).Update(ctx, next)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reference token secrets of %s/%s: %w", m.GetNamespace(), m.GetName(), err)
	}
	return nil
}

// create writes a new token secret for sa.
func (c *TokensController) create(ctx context.Context, sa *corev1.ServiceAccount) error {
	m := sa.GetMetadata()
	secret := &corev1.Secret{
		Metadata: &metav1.ObjectMeta{
			Name: m.GetName() + "-token-" + randomSuffix(), Namespace: m.GetNamespace(),
			Annotations: map[string]string{AnnotationName: m.GetName(), AnnotationUID: m.GetUid()},
		},
		Type: SecretTypeToken,
	}
	if err := c.fill(sa, secret); err != nil {
		return err
	}
	key := accountKey(m.GetNamespace(), m.GetName())
	c.expect.ExpectCreations(key, 1)
	_, err := c.client.Secrets(m.GetNamespace()).Create(ctx, secret)
	switch {
	case err == nil:
		c.lg.Debug("created token secret", zap.String("namespace", m.GetNamespace()), zap.String("secret", secret.GetMetadata().GetName()))
		return nil
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
		c.expect.CreationObserved(key)
		return nil // the namespace is terminating or gone
	default:
		c.expect.CreationObserved(key)
		if c.rec != nil {
			c.rec.Eventf(sa, events.TypeWarning, "FailedCreate", "Error creating token secret: %v", err)
		}
		return fmt.Errorf("create token secret for %s: %w", key, err)
	}
}

// populate writes the token, CA and namespace into an existing token secret of sa.
func (c *TokensController) populate(ctx context.Context, sa *corev1.ServiceAccount, s *corev1.Secret) error {
	next := s.CloneVT()
	if next.Metadata.Annotations == nil {
		next.Metadata.Annotations = map[string]string{}
	}
	next.Metadata.Annotations[AnnotationUID] = sa.GetMetadata().GetUid()
	if err := c.fill(sa, next); err != nil {
		return err
	}
	if _, err := c.client.Secrets(s.GetMetadata().GetNamespace()).Update(ctx, next); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("populate token secret %s/%s: %w", s.GetMetadata().GetNamespace(), s.GetMetadata().GetName(), err)
	}
	return nil
}

// fill signs the token of secret for sa and sets the secret's data.
func (c *TokensController) fill(sa *corev1.ServiceAccount, secret *corev1.Secret) error {
	m := sa.GetMetadata()
	tok, err := c.signer.Sign(serviceaccount.NewLegacyClaims(m.GetNamespace(), m.GetName(), m.GetUid(), secret.GetMetadata().GetName()))
	if err != nil {
		return fmt.Errorf("token for %s/%s: %w", m.GetNamespace(), m.GetName(), err)
	}
	if secret.Data == nil {
		secret.Data = map[string][]byte{}
	}
	secret.Data[KeyToken] = []byte(tok)
	secret.Data[KeyNamespace] = []byte(m.GetNamespace())
	if len(c.rootCA) > 0 {
		secret.Data[KeyCACert] = c.rootCA
	}
	return nil
}

// suffixAlphabet leaves out vowels and look-alike characters, as Kubernetes' generated names do.
const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"

func randomSuffix() string {
	b := make([]byte, 5)
	for i := range b {
		b[i] = suffixAlphabet[rand.IntN(len(suffixAlphabet))]
	}
	return string(b)
}
