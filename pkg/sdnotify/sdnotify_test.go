package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// listen opens a unixgram socket where the test plays the service manager, and returns its path
// and a function reading the next datagram (failing after a deadline).
func listen(t *testing.T) (string, func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return path, func() string {
		t.Helper()
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		require.NoError(t, err)
		return string(buf[:n])
	}
}

func TestNotify(t *testing.T) {
	path, next := listen(t)
	n := Notifier{Socket: path}
	require.NoError(t, n.Notify(Ready, "STATUS=serving"))
	require.Equal(t, "READY=1\nSTATUS=serving\n", next())
	require.NoError(t, n.Notify(Stopping))
	require.Equal(t, "STOPPING=1\n", next())
	require.ErrorContains(t, n.Notify("READY"), "KEY=VALUE")
}

func TestNotifyWithoutSocketDoesNothing(t *testing.T) {
	require.NoError(t, Notifier{}.Notify(Ready))
	require.NoError(t, Notifier{}.Lifecycle(context.Background(), clock.RealClock{}, nil), "returns at once")
	err := Notifier{Socket: filepath.Join(t.TempDir(), "nobody")}.Notify(Ready)
	require.ErrorContains(t, err, "nobody", "a socket that is gone is an error naming it")
}

func TestNotifyAbstractSocket(t *testing.T) {
	name := "keelson-sdnotify-test-" + strconv.Itoa(os.Getpid())
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "\x00" + name, Net: "unixgram"})
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	require.NoError(t, Notifier{Socket: "@" + name}.Notify(Ready))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "READY=1\n", string(buf[:n]))
}

func TestFromEnv(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name    string
		env     map[string]string
		want    Notifier
		wantErr string
	}{
		{name: "outside systemd", env: map[string]string{}},
		{name: "socket", env: map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify"},
			want: Notifier{Socket: "/run/systemd/notify"}},
		{name: "watchdog for this process", env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": self},
			want: Notifier{Socket: "@n", WatchdogInterval: 3 * time.Second}},
		{name: "watchdog without pid", env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "500000"},
			want: Notifier{Socket: "@n", WatchdogInterval: 500 * time.Millisecond}},
		{name: "watchdog of another process", env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"},
			want: Notifier{Socket: "@n"}},
		{name: "bad watchdog", env: map[string]string{"NOTIFY_SOCKET": "@n", "WATCHDOG_USEC": "soon"}, wantErr: `WATCHDOG_USEC="soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// TestLifecycle drives a daemon's life on a fake clock: watchdog pings from the start, READY=1
// once ready, more pings every half interval, STOPPING=1 when its context ends.
func TestLifecycle(t *testing.T) {
	path, next := listen(t)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	n := Notifier{Socket: path, WatchdogInterval: 2 * time.Second}
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Lifecycle(ctx, clk, ready) }()

	require.Equal(t, "WATCHDOG=1\n", next(), "a first ping at once")
	close(ready)
	require.Equal(t, "READY=1\nSTATUS=ready\n", next())
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	clk.Step(time.Second)
	require.Equal(t, "WATCHDOG=1\n", next(), "a ping every half interval")
	cancel()
	require.Equal(t, "STOPPING=1\nSTATUS=stopping\n", next())
	require.NoError(t, <-done)
}

func TestLifecycleStopsBeforeReady(t *testing.T) {
	path, next := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Notifier{Socket: path}.Lifecycle(ctx, clock.RealClock{}, make(chan struct{})) }()
	cancel()
	got := next()
	require.True(t, strings.HasPrefix(got, "STOPPING=1"), "never ready, still stopping: %q", got)
	require.NoError(t, <-done)
}
