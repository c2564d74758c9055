// Package embedetcd starts a single-member etcd inside the process, on loopback: the API server's
// default storage, and the throwaway etcd of tests. It is the one place that sets such a member up.
//
// The API server reaches its member in-process; the member's ports are for etcdctl and backups, and
// the API server serves them over TLS admitting only clients with a certificate its CA signed
// (GeneratePKI makes one when the operator gives none), so no local user can read around it.
package embedetcd

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/soheilhy/cmux"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config describes a member.
type Config struct {
	// Name is the member's name (default "keelson").
	Name string
	// Dir holds the member's data; required.
	Dir string
	// ClientPort and PeerPort are its loopback ports; 0 lets the kernel choose.
	ClientPort, PeerPort int
	// UnsafeNoFsync skips fsync: for tests only, as a crash loses data.
	UnsafeNoFsync bool
	// MaxRequestBytes bounds one request (0: etcd's default).
	MaxRequestBytes uint
	// StartTimeout bounds how long the member may take to become ready (default one minute).
	StartTimeout time.Duration
	// Logger receives the member's errors (nil: none are logged).
	Logger *zap.Logger
	// ClientTLS, when set, serves the client port over TLS and admits only clients whose
	// certificate its TrustedCAFile signed. Nil serves plain HTTP to anyone: for tests only.
	ClientTLS *TLS
	// PeerTLS does the same for the peer port (nil: ClientTLS's files).
	PeerTLS *TLS
}

// TLS names a member's TLS files for one of its ports.
type TLS struct {
	// CertFile and KeyFile are the member's own certificate and key. A peer certificate must allow
	// client authentication too, since members dial each other with it.
	CertFile, KeyFile string
	// TrustedCAFile is the CA a connecting client's (or peer's) certificate must chain to.
	TrustedCAFile string
}

// Validate reports a missing file name, naming the flag of each with flagPrefix (such as
// "embedded-etcd-" for "--embedded-etcd-cert-file").
func (t TLS) Validate(flagPrefix string) error {
	var errs []error
	for _, f := range []struct{ flag, value string }{
		{"cert-file", t.CertFile}, {"key-file", t.KeyFile}, {"trusted-ca-file", t.TrustedCAFile},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("--%s%s: required with the other TLS files", flagPrefix, f.flag))
		}
	}
	return errors.Join(errs...)
}

func (t TLS) info() transport.TLSInfo {
	// ClientCertAuth: a client without a certificate signed by TrustedCAFile is refused during
	// the handshake, before it can send a request.
	return transport.TLSInfo{CertFile: t.CertFile, KeyFile: t.KeyFile, TrustedCAFile: t.TrustedCAFile, ClientCertAuth: true}
}

// Start starts the member and waits until it serves. The caller closes the returned member, which
// holds the data directory until then.
func Start(cfg Config) (*embed.Etcd, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start embedded etcd: a data directory is required")
	}
	if cfg.Name == "" {
		cfg.Name = "keelson"
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = time.Minute
	}
	lg := cfg.Logger
	if lg == nil {
		lg = zap.NewNop()
	}
	ec := embed.NewConfig()
	ec.Name = cfg.Name
	ec.Dir = cfg.Dir
	scheme := "http"
	if cfg.ClientTLS != nil {
		if cfg.PeerTLS == nil {
			cfg.PeerTLS = cfg.ClientTLS
		}
		scheme = "https"
		ec.ClientTLSInfo = cfg.ClientTLS.info()
		ec.PeerTLSInfo = cfg.PeerTLS.info()
	}
	client := url.URL{Scheme: scheme, Host: "127.0.0.1:" + strconv.Itoa(cfg.ClientPort)}
	peer := url.URL{Scheme: scheme, Host: "127.0.0.1:" + strconv.Itoa(cfg.PeerPort)}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.UnsafeNoFsync = cfg.UnsafeNoFsync
	if cfg.MaxRequestBytes > 0 {
		ec.MaxRequestBytes = cfg.MaxRequestBytes
	}
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg.Named("etcd").WithOptions(
		zap.IncreaseLevel(zapcore.ErrorLevel),
		zap.WrapCore(func(c zapcore.Core) zapcore.Core { return closingNoise{c} }),
	))
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	ready := time.NewTimer(cfg.StartTimeout)
	defer ready.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case <-ready.C:
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s not ready after %s", cfg.Dir, cfg.StartTimeout)
	}
	return e, nil
}

// ClientURL returns the URL a member started by Start serves clients on: https when it was
// started with ClientTLS.
func ClientURL(e *embed.Etcd) string {
	if e.Config().ClientTLSInfo.Empty() {
		return "http://" + e.Clients[0].Addr().String()
	}
	return "https://" + e.Clients[0].Addr().String()
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
