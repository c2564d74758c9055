// Package etcdtest starts throwaway single-member etcd clusters for tests.
package etcdtest

import (
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Start starts a single-member etcd without fsync on loopback ports chosen by the kernel, in a
// temporary directory, and returns it with its client URL. It stops when the test ends.
func Start(tb testing.TB) (*embed.Etcd, string) {
	tb.Helper()
	ec := embed.NewConfig()
	ec.Name = "test"
	ec.Dir = tb.TempDir()
	client := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.UnsafeNoFsync = true
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e, err := embed.StartEtcd(ec)
	if err != nil {
		tb.Fatalf("start etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		tb.Fatal("etcd not ready after 30s")
	}
	tb.Cleanup(e.Close)
	return e, "http://" + e.Clients[0].Addr().String()
}
