package integration

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// link is a loopback TCP forwarder to one apiserver that a test can cut, to make the process
// behind it look crashed or partitioned: every connection is reset and no new one is accepted
// until Resume listens again on the same address.
type link struct {
	addr   string
	target string
	mu     sync.Mutex
	l      net.Listener
	conns  []net.Conn
	cut    bool
	wg     sync.WaitGroup
}

func newLink(t *testing.T, target string) *link {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	k := &link{addr: l.Addr().String(), target: target, l: l}
	k.wg.Add(1)
	go k.accept(l)
	t.Cleanup(func() {
		k.Cut()
		k.wg.Wait()
	})
	return k
}

func (k *link) Addr() string { return k.addr }

func (k *link) accept(l net.Listener) {
	defer k.wg.Done()
	for {
		in, err := l.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", k.target)
		if err != nil {
			_ = in.Close()
			continue
		}
		k.mu.Lock()
		if k.cut {
			k.mu.Unlock()
			_ = in.Close()
			_ = out.Close()
			return
		}
		k.conns = append(k.conns, in, out)
		k.mu.Unlock()
		k.wg.Add(2)
		go k.pipe(in, out)
		go k.pipe(out, in)
	}
}

func (k *link) pipe(dst, src net.Conn) {
	defer k.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// Cut resets every connection and refuses new ones.
func (k *link) Cut() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cut {
		return
	}
	k.cut = true
	_ = k.l.Close()
	for _, c := range k.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	k.conns = nil
}

// Resume accepts connections again after Cut.
func (k *link) Resume(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", k.addr)
	require.NoError(t, err)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.l, k.cut = l, false
	k.wg.Add(1)
	go k.accept(l)
}
