// Package sdnotify tells the service manager about a daemon's state, as sd_notify(3) does, in
// plain Go: one datagram of newline-separated KEY=VALUE assignments to the unix socket systemd
// names in $NOTIFY_SOCKET. A unit with Type=notify is started once the daemon sends READY=1;
// STOPPING=1 says it is shutting down; WATCHDOG=1 keeps a unit with WatchdogSec alive.
//
// Outside systemd (no $NOTIFY_SOCKET) every call does nothing, so daemons notify unconditionally.
package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// The states a daemon sends.
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	Reloading = "RELOADING=1"
	Watchdog  = "WATCHDOG=1"
)

// Notifier sends state to one notification socket. The zero Notifier sends nothing.
type Notifier struct {
	// Socket is the socket's path; a leading '@' names a socket in the abstract namespace, as
	// systemd writes it. Empty: no service manager listens, and Notify does nothing.
	Socket string
	// WatchdogInterval is how often the service manager wants WATCHDOG=1 (0: no watchdog).
	WatchdogInterval time.Duration
}

// FromEnv returns the Notifier that the service manager set up for this process through
// getenv (os.Getenv in a daemon): $NOTIFY_SOCKET, and $WATCHDOG_USEC when $WATCHDOG_PID is unset
// or this process's id. A malformed $WATCHDOG_USEC is an error.
func FromEnv(getenv func(string) string) (Notifier, error) {
	n := Notifier{Socket: getenv("NOTIFY_SOCKET")}
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return n, nil
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return n, nil // the watchdog is another process's
	}
	us, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || us <= 0 {
		return n, fmt.Errorf("WATCHDOG_USEC=%q: not a positive number of microseconds", usec)
	}
	n.WatchdogInterval = time.Duration(us) * time.Microsecond
	return n, nil
}

// Notify sends the states (such as Ready, or "STATUS=serving") in one datagram. It returns nil at
// once when n has no socket, and an error naming the socket when the send fails.
func (n Notifier) Notify(states ...string) error {
	if n.Socket == "" {
		return nil
	}
	for _, s := range states {
		if !strings.Contains(s, "=") {
			return fmt.Errorf("notify %q: a state is KEY=VALUE", s)
		}
	}
	name := n.Socket
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("notify %s: %w", n.Socket, err)
	}
	defer func() { _ = conn.Close() }() // a datagram socket has nothing left to flush
	if _, err := conn.Write([]byte(strings.Join(states, "\n") + "\n")); err != nil {
		return fmt.Errorf("notify %s: %w", n.Socket, err)
	}
	return nil
}

// RunWatchdog sends WATCHDOG=1 every half WatchdogInterval, as sd_watchdog_enabled(3) advises,
// until ctx ends; it returns nil then, or at once when n has no watchdog. A failed send is
// returned: the service manager would restart the daemon anyway.
func (n Notifier) RunWatchdog(ctx context.Context, clk clock.Clock) error {
	if n.Socket == "" || n.WatchdogInterval <= 0 {
		return nil
	}
	t := clk.NewTicker(n.WatchdogInterval / 2)
	defer t.Stop()
	for {
		if err := n.Notify(Watchdog); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// Lifecycle notifies the service manager of a daemon's life until ctx ends: READY=1 once ready is
// closed, WATCHDOG=1 throughout, and STOPPING=1 when ctx ends. ready nil means a daemon that is
// ready as soon as it starts. It returns nil when ctx ends, or the first send that failed.
func (n Notifier) Lifecycle(ctx context.Context, clk clock.Clock, ready <-chan struct{}) error {
	if n.Socket == "" {
		return nil
	}
	if ready == nil {
		now := make(chan struct{})
		close(now)
		ready = now
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	watchdog := make(chan error, 1) // buffered: read only once, after stop
	go func() { watchdog <- n.RunWatchdog(wctx, clk) }()
	var err error
	select {
	case <-ready:
		err = n.Notify(Ready, "STATUS=ready")
		if err == nil {
			<-ctx.Done()
		}
	case <-ctx.Done():
	}
	if err == nil {
		err = n.Notify(Stopping, "STATUS=stopping")
	}
	stop()
	return errors.Join(err, <-watchdog)
}
