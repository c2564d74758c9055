package client

import (
	"context"
	"net"
	"sync"
)

// conns dials the client's connections and remembers the open ones, so that CloseConnections can
// make the client reconnect: a TLS client certificate is presented only at the handshake, so a
// renewed one reaches the server on new connections alone. It is safe for concurrent use.
type conns struct {
	dialer net.Dialer

	mu   sync.Mutex
	open map[*trackedConn]struct{}
}

func newConns() *conns {
	return &conns{open: make(map[*trackedConn]struct{})}
}

// dial opens a TCP connection to addr and tracks it until it is closed.
func (c *conns) dial(ctx context.Context, addr string) (net.Conn, error) {
	nc, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: nc, owner: c}
	c.mu.Lock()
	c.open[tc] = struct{}{}
	c.mu.Unlock()
	return tc, nil
}

// closeAll closes every open connection and returns how many it closed.
func (c *conns) closeAll() int {
	c.mu.Lock()
	open := c.open
	c.open = make(map[*trackedConn]struct{})
	c.mu.Unlock()
	for tc := range open {
		_ = tc.Conn.Close() // the connection is being dropped: its close error tells nothing
	}
	return len(open)
}

func (c *conns) forget(tc *trackedConn) {
	c.mu.Lock()
	delete(c.open, tc)
	c.mu.Unlock()
}

// trackedConn leaves its owner's set when closed.
type trackedConn struct {
	net.Conn
	owner *conns
	once  sync.Once
}

func (tc *trackedConn) Close() error {
	tc.once.Do(func() { tc.owner.forget(tc) })
	return tc.Conn.Close()
}

// CloseConnections closes every connection the client holds to the servers and returns how many
// it closed. Calls in flight on them fail with Unavailable (retried where a retry is safe, and
// watches end so that informers open them again); the client then reconnects by itself. A client
// whose TLS configuration returns a new client certificate (tls.Config.GetClientCertificate) is
// told so by this call, so that the server sees the new certificate at once rather than when the
// old connections happen to break.
func (c *Client) CloseConnections() int { return c.conns.closeAll() }
