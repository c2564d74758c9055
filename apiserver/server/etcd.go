package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	"github.com/keelson-dev/keelson/apiserver/internal/embedetcd"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
)

// etcdBackend is the server's way to etcd: a client, and the embedded member when there is one.
type etcdBackend struct {
	client *clientv3.Client
	member *embed.Etcd // nil for an external cluster
	opts   storage.Options
}

// connectEtcd starts the embedded member, when cfg names no external cluster, or connects to the
// external one. The caller closes the result.
func connectEtcd(ctx context.Context, cfg Config, lg *zap.Logger) (*etcdBackend, error) {
	opts := storage.Options{MaxValue: cfg.MaxObjectBytes, MaxWritesInFlight: cfg.EtcdMaxWritesInFlight}
	if len(cfg.EtcdServers) > 0 {
		tlsCfg, err := cfg.etcdClientTLS()
		if err != nil {
			return nil, err
		}
		cli, err := newEtcdClient(ctx, cfg.EtcdServers, tlsCfg, lg)
		if err != nil {
			return nil, err
		}
		return &etcdBackend{client: cli, opts: opts}, nil
	}
	// Real time, not cfg.Clock: TLS peers check validity against their own clocks.
	clientTLS, peerTLS, err := cfg.embeddedTLS(time.Now())
	if err != nil {
		return nil, err
	}
	e, err := embedetcd.Start(embedetcd.Config{
		ClientTLS:     clientTLS,
		PeerTLS:       peerTLS,
		Dir:           cfg.DataDir,
		ClientPort:    cfg.EtcdClientPort,
		PeerPort:      cfg.EtcdPeerPort,
		UnsafeNoFsync: cfg.EtcdUnsafeNoFsync,
		// Room for the largest object plus its envelope.
		MaxRequestBytes: uint(cfg.MaxObjectBytes + 64*1024),
		Logger:          lg,
	})
	if err != nil {
		return nil, err
	}
	// The embedded member is served in-process: calls go straight to its KV server, and watches
	// read its store, with no gRPC or loopback connection between the two, so no certificate is
	// needed. Its client URL stays open for etcdctl, over TLS to holders of a certificate its CA
	// signed (the generated <data-dir>/pki/apiserver-etcd-client.crt).
	opts.Local = e.Server.Watchable()
	lg.Info("embedded etcd started", zap.String("dataDir", cfg.DataDir), zap.String("url", embedetcd.ClientURL(e)))
	return &etcdBackend{client: v3client.New(e.Server), member: e, opts: opts}, nil
}

// Close closes the client, then stops the embedded member.
func (b *etcdBackend) Close() {
	_ = b.client.Close()
	if b.member != nil {
		b.member.Close()
	}
}

// newEtcdClient connects to endpoints, over TLS with tlsCfg when set, and checks that etcd answers.
func newEtcdClient(ctx context.Context, endpoints []string, tlsCfg *tls.Config, lg *zap.Logger) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		TLS:         tlsCfg,
		DialTimeout: 5 * time.Second,
		Logger:      lg.Named("etcd-client").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel)),
		// Objects up to the size limit in both directions.
		MaxCallSendMsgSize: 8 * 1024 * 1024,
		MaxCallRecvMsgSize: 256 * 1024 * 1024,
		// Reconnect at least every second while etcd is away: gRPC's default backoff grows to
		// two minutes, so after an outage of tens of seconds the apiserver would stay unready for
		// seconds after etcd came back.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 2 * time.Second,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Get(cctx, "health"); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("etcd %v does not answer: %w", endpoints, err)
	}
	return cli, nil
}
