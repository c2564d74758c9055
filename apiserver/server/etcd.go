package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/soheilhy/cmux"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// embeddedEtcdStartTimeout bounds how long the embedded member may take to become ready.
const embeddedEtcdStartTimeout = time.Minute

// startEmbeddedEtcd starts a single-member etcd on loopback and returns it with its client URL.
// The caller closes it.
func startEmbeddedEtcd(cfg Config, lg *zap.Logger) (*embed.Etcd, string, error) {
	ec := embed.NewConfig()
	ec.Name = "keelson"
	ec.Dir = cfg.DataDir
	client := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(cfg.EtcdClientPort)}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(cfg.EtcdPeerPort)}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.UnsafeNoFsync = cfg.EtcdUnsafeNoFsync
	// Room for the largest object plus its envelope.
	ec.MaxRequestBytes = uint(cfg.MaxObjectBytes + 64*1024)
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg.Named("etcd").WithOptions(
		zap.IncreaseLevel(zapcore.ErrorLevel),
		zap.WrapCore(func(c zapcore.Core) zapcore.Core { return closingNoise{c} }),
	))
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, "", fmt.Errorf("start embedded etcd in %s: %w", cfg.DataDir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(embeddedEtcdStartTimeout):
		e.Close()
		return nil, "", fmt.Errorf("embedded etcd in %s not ready after %s", cfg.DataDir, embeddedEtcdStartTimeout)
	}
	return e, "http://" + e.Clients[0].Addr().String(), nil
}

// newEtcdClient connects to endpoints and checks that etcd answers.
func newEtcdClient(ctx context.Context, endpoints []string, lg *zap.Logger) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      lg.Named("etcd-client").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel)),
		// Objects up to the size limit in both directions.
		MaxCallSendMsgSize: 8 * 1024 * 1024,
		MaxCallRecvMsgSize: 256 * 1024 * 1024,
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

// closingNoise drops the errors etcd logs when its own listeners close as it shuts down ("setting
// up serving from embedded etcd failed" with a closed-listener or closed-server error): every
// clean stop printed four of them.
type closingNoise struct{ zapcore.Core }

func (c closingNoise) With(fields []zapcore.Field) zapcore.Core {
	return closingNoise{c.Core.With(fields)}
}

func (c closingNoise) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c closingNoise) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if e.Message == "setting up serving from embedded etcd failed." {
		for _, f := range fields {
			if err, ok := f.Interface.(error); ok && isClosed(err) {
				return nil
			}
		}
	}
	return c.Core.Write(e, fields)
}

func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) || errors.Is(err, cmux.ErrServerClosed)
}
