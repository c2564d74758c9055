package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking for the balancer
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Config configures a Client.
type Config struct {
	// Endpoints are apiserver addresses as host:port. At least one is required.
	Endpoints []string
	// Retries is how many times a retryable call is tried again (default 6).
	Retries int
	// RetryBackoff is the first pause between retries, doubling up to one second (default 50ms).
	RetryBackoff time.Duration
	// UserAgent names the caller to the server.
	UserAgent string
	// TLS, when set, is how the connections are secured: the CA the servers' certificates are
	// checked against (RootCAs), the client certificate that authenticates the caller, and
	// ServerName. An empty ServerName checks each endpoint's certificate against the endpoint's
	// own host, so that every replica of a list is verified under its name. nil speaks plain
	// text. A client certificate that changes (GetClientCertificate, as a renewed one does) is
	// presented on new connections; CloseConnections makes them.
	TLS *tls.Config
	// BearerToken, when set, is sent with every call as "authorization: Bearer <token>". It needs
	// TLS.
	BearerToken string
	// Source, when set, says where TLS and the credentials come from (a kubeconfig's cluster and
	// user), so that an error can say what to fix.
	Source Source
	Logger *zap.Logger
}

// Client talks to one Keelson cluster. It is safe for concurrent use; Close releases it.
type Client struct {
	cfg   Config
	conns *conns
	// creds explain failed TLS handshakes; nil in plain text.
	creds  *explainingCreds
	conn   *grpc.ClientConn
	rpc    resourcev1.ResourceServiceClient
	scheme *scheme.Scheme
}

// serviceConfig balances round robin over healthy endpoints.
const serviceConfig = `{
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": "keelson.resource.v1.ResourceService"}
}`

// New returns a client of the apiservers at cfg.Endpoints. It does not wait for a connection.
func New(cfg Config) (*Client, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("client: at least one endpoint is required")
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 6
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.BearerToken != "" && cfg.TLS == nil {
		return nil, errors.New("client: a bearer token needs TLS")
	}
	addrs := make([]resolver.Address, 0, len(cfg.Endpoints))
	for _, e := range cfg.Endpoints {
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("client: empty endpoint in %q", cfg.Endpoints)
		}
		a := resolver.Address{Addr: e}
		if cfg.TLS != nil && cfg.TLS.ServerName == "" {
			host, _, err := net.SplitHostPort(e)
			if err != nil {
				return nil, fmt.Errorf("client: endpoint %q: %w", e, err)
			}
			a.ServerName = host
		}
		addrs = append(addrs, a)
	}
	r := manual.NewBuilderWithScheme("keelson")
	r.InitialState(resolver.State{Addresses: addrs})
	c := &Client{cfg: cfg, conns: newConns(), scheme: scheme.Builtin()}
	creds := insecure.NewCredentials()
	if cfg.TLS != nil {
		c.creds = newExplainingCreds(cfg.TLS, cfg.Source, cfg.Logger)
		creds = c.creds
	}
	opts := []grpc.DialOption{
		grpc.WithResolvers(r),
		grpc.WithContextDialer(c.conns.dial),
		grpc.WithChainUnaryInterceptor(c.unaryExplainer),
		grpc.WithChainStreamInterceptor(c.streamExplainer),
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultServiceConfig(serviceConfig),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256*1024*1024), grpc.ForceCodecV2(wire.Codec{})),
	}
	if cfg.UserAgent != "" {
		opts = append(opts, grpc.WithUserAgent(cfg.UserAgent))
	}
	if cfg.BearerToken != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken(cfg.BearerToken)))
	}
	conn, err := grpc.NewClient(r.Scheme()+":///apiserver", opts...)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	c.conn, c.rpc = conn, resourcev1.NewResourceServiceClient(conn)
	return c, nil
}

// Close releases the client's connections. Watches end.
func (c *Client) Close() error { return c.conn.Close() }

// Scheme returns the kinds the client knows.
func (c *Client) Scheme() *scheme.Scheme { return c.scheme }

// maxRetryAfter caps the pause a server's retry-after asks for.
const maxRetryAfter = 10 * time.Second

// retryAfter reports whether err is the server refusing a request before doing anything with it,
// because too many requests are in flight (TooManyRequests with RetryAfterSeconds, as the
// apiserver's in-flight limits answer), and how long the server asked the client to wait. Such a
// call is safe to repeat, whatever its verb. A TooManyRequests without a retry-after is a refusal
// to act on, not to wait out.
func retryAfter(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	var se *apierrors.StatusError
	if !errors.As(apierrors.FromGRPC(err), &se) || se.Reason != apierrors.ReasonTooManyRequests ||
		se.Details == nil || se.Details.RetryAfterSeconds <= 0 {
		return 0, false
	}
	return min(time.Duration(se.Details.RetryAfterSeconds)*time.Second, maxRetryAfter), true
}

// unavailable reports whether err says no server took the call: the endpoint is down, the
// connection broke, or the server refused it while shutting down.
func unavailable(err error) bool {
	return status.Code(err) == codes.Unavailable
}

// retry calls fn until it succeeds, fails with an error retryable rejects, the retries run out or
// ctx ends. A call the server turned away because too many requests are in flight (429 with a
// retry-after, see retryAfter) is retried whatever retryable says, after the pause the server
// asked for, as client-go does. fn gets the attempt number, starting at 0. Errors come back as
// StatusErrors, joined with a *TLSError when the call failed for want of a connection the TLS
// handshake refused.
func (c *Client) retry(ctx context.Context, retryable func(error) bool, fn func(attempt int) error) error {
	backoff := c.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := fn(attempt)
		wait, throttled := retryAfter(err)
		if err == nil || attempt >= c.cfg.Retries || (!throttled && !retryable(err)) {
			return c.withTLSExplanation(apierrors.FromGRPC(err), err)
		}
		wait = max(wait, backoff)
		c.cfg.Logger.Debug("retrying call", zap.Int("attempt", attempt+1), zap.Duration("after", wait), zap.Error(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return c.withTLSExplanation(apierrors.FromGRPC(err), err)
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}
