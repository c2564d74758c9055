// Package backendtest starts loopback backends for the proxy's tests: a TCP server that greets
// each connection with its own address and then echoes until the client half-closes, and a UDP
// server that answers each datagram with its address and the payload. Each is stopped when the
// test ends.
package backendtest

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait of the proxy's tests.
const Timeout = 10 * time.Second

// TCP starts a greeting echo server on ip (a loopback address) and returns its address.
func TCP(tb testing.TB, ip string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatalf("backend listen: %v", err)
	}
	addr := ln.Addr().String()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					_ = c.Close()
				}()
				if _, err := io.WriteString(c, addr+"\n"); err != nil {
					return
				}
				if _, err := io.Copy(struct{ io.Writer }{c}, struct{ io.Reader }{c}); err != nil {
					return
				}
				_ = c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return addr
}

// Conn is a client connection to a TCP backend, through a proxy or not.
type Conn struct {
	*net.TCPConn
	r *bufio.Reader
	// Backend is the address the backend greeted with.
	Backend string
}

// Dial connects to addr from localIP ("" for any) and reads the backend's greeting.
func Dial(tb testing.TB, addr, localIP string) *Conn {
	tb.Helper()
	c, err := DialErr(addr, localIP)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// DialErr is Dial returning the error instead of failing the test.
func DialErr(addr, localIP string) (*Conn, error) {
	d := net.Dialer{Timeout: Timeout}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(Timeout))
	conn := &Conn{TCPConn: c.(*net.TCPConn), r: bufio.NewReader(c)}
	line, err := conn.r.ReadString('\n')
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	conn.Backend = strings.TrimSuffix(line, "\n")
	return conn, nil
}

// Echo sends msg and reads it back.
func (c *Conn) Echo(msg string) (string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c.r, buf)
	return string(buf), err
}

// ReadAll reads until the backend closes its side.
func (c *Conn) ReadAll() (string, error) {
	b, err := io.ReadAll(c.r)
	return string(b), err
}

// Who connects to addr from localIP, returns the backend that answered and closes.
func Who(tb testing.TB, addr, localIP string) string {
	tb.Helper()
	c, err := DialErr(addr, localIP)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	_ = c.Close()
	return c.Backend
}

// UDP starts a UDP server on ip that answers every datagram with "<its address>|<payload>" and
// returns its address.
func UDP(tb testing.TB, ip string) string {
	tb.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatalf("backend listen: %v", err)
	}
	addr := pc.LocalAddr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			_, _ = pc.WriteTo(append([]byte(addr+"|"), buf[:n]...), from)
		}
	}()
	tb.Cleanup(func() {
		_ = pc.Close()
		<-done
	})
	return addr
}

// UDPClient is a client socket on a loopback address.
type UDPClient struct {
	*net.UDPConn
}

// NewUDPClient opens a client socket connected to addr.
func NewUDPClient(tb testing.TB, addr string) *UDPClient {
	tb.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return &UDPClient{UDPConn: c.(*net.UDPConn)}
}

// Ask sends msg and returns the backend that answered and the payload it echoed.
func (c *UDPClient) Ask(msg string) (backend, payload string, err error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(Timeout))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return "", "", err
	}
	backend, payload, _ = strings.Cut(string(buf[:n]), "|")
	return backend, payload, nil
}

// DeadPort returns a loopback address on ip that nothing listens on: a listener's address
// after it is closed.
func DeadPort(tb testing.TB, ip string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Run runs fn in a goroutine until the test ends, then cancels its context and fails the test
// unless fn returns nil within Timeout.
func Run(tb testing.TB, name string, fn func(context.Context) error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("%s: %v", name, err)
			}
		case <-time.After(Timeout):
			tb.Errorf("%s did not stop", name)
		}
	})
}
