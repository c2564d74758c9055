// Package ipaddr puts service cluster IPs on a dummy interface (keelson-svc0 by default) so the
// proxy can listen on them and the kernel delivers traffic to them locally, never onto a
// network. Addresses in 127.0.0.0/8 and ::1 need nothing: the loopback interface owns them, so
// tests and local clusters with loopback cluster IPs run without root.
//
// It drives the `ip` command (iproute2) through a Runner, which tests replace.
package ipaddr

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
)

// DefaultInterface is the dummy interface cluster IPs go on.
const DefaultInterface = "keelson-svc0"

// Runner runs `ip` with args and returns its combined output.
type Runner func(ctx context.Context, args ...string) ([]byte, error)

// IPCommand runs the `ip` binary from PATH.
func IPCommand(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, "ip", args...).CombinedOutput()
}

// Manager adds and removes cluster IPs on one dummy interface, creating the interface on first
// use. It is safe for concurrent use.
type Manager struct {
	iface string
	run   Runner

	mu      sync.Mutex
	created bool
}

// New returns a manager of iface run through run. An empty iface manages nothing: every
// address is left as it is, for machines where the addresses are set up otherwise.
func New(iface string, run Runner) *Manager {
	if run == nil {
		run = IPCommand
	}
	return &Manager{iface: iface, run: run}
}

// needsNothing reports whether ip is left alone: no interface is managed, or loopback owns it.
func (m *Manager) needsNothing(ip netip.Addr) bool {
	return m.iface == "" || ip.IsLoopback()
}

// Add puts ip on the interface, creating the interface if it does not exist yet. An address that
// is already there is not an error.
func (m *Manager) Add(ctx context.Context, ip netip.Addr) error {
	if m.needsNothing(ip) {
		return nil
	}
	if err := m.ensureInterface(ctx); err != nil {
		return err
	}
	out, err := m.run(ctx, "addr", "add", prefix(ip), "dev", m.iface)
	if err != nil && !strings.Contains(string(out), "File exists") {
		return fmt.Errorf("ip addr add %s dev %s: %w: %s", prefix(ip), m.iface, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Remove takes ip off the interface. An address that is not there is not an error.
func (m *Manager) Remove(ctx context.Context, ip netip.Addr) error {
	if m.needsNothing(ip) {
		return nil
	}
	out, err := m.run(ctx, "addr", "del", prefix(ip), "dev", m.iface)
	if err != nil && !strings.Contains(string(out), "Cannot assign requested address") &&
		!strings.Contains(string(out), "Cannot find device") {
		return fmt.Errorf("ip addr del %s dev %s: %w: %s", prefix(ip), m.iface, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ensureInterface creates the dummy interface and brings it up, once.
func (m *Manager) ensureInterface(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.created {
		return nil
	}
	out, err := m.run(ctx, "link", "add", m.iface, "type", "dummy")
	if err != nil && !strings.Contains(string(out), "File exists") {
		return fmt.Errorf("ip link add %s type dummy: %w: %s", m.iface, err, strings.TrimSpace(string(out)))
	}
	if out, err := m.run(ctx, "link", "set", m.iface, "up"); err != nil {
		return fmt.Errorf("ip link set %s up: %w: %s", m.iface, err, strings.TrimSpace(string(out)))
	}
	m.created = true
	return nil
}

// prefix is ip as a host route: /32 or /128.
func prefix(ip netip.Addr) string {
	return netip.PrefixFrom(ip, ip.BitLen()).String()
}
