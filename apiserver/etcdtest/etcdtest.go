// Package etcdtest starts throwaway single-member etcd clusters for tests.
package etcdtest

import (
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/keelson-dev/keelson/apiserver/internal/embedetcd"
)

// Start starts a single-member etcd without fsync on loopback ports chosen by the kernel, in a
// temporary directory, and returns it with its client URL. It stops when the test ends.
func Start(tb testing.TB) (*embed.Etcd, string) {
	tb.Helper()
	e, err := embedetcd.Start(embedetcd.Config{
		Name:          "test",
		Dir:           tb.TempDir(),
		UnsafeNoFsync: true,
		StartTimeout:  30 * time.Second,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e, embedetcd.ClientURL(e)
}
