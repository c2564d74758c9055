package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// CheckPort reports whether port is one a daemon can listen on: 0 (any free port) to 65535. The
// error names flag.
func CheckPort(flag string, port int) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("--%s: port %d out of range 0-65535", flag, port)
	}
	return nil
}

// CheckIP reports whether addr is an IP address, as bind addresses must be. The error names flag.
func CheckIP(flag, addr string) error {
	if net.ParseIP(addr) == nil {
		return fmt.Errorf("--%s: %q is not an IP address", flag, addr)
	}
	return nil
}

// CheckEndpoints reports whether endpoints is a non-empty list of host:port pairs with ports from 1
// to 65535. The error names flag and the first bad endpoint.
func CheckEndpoints(flag string, endpoints []string) error {
	if len(endpoints) == 0 {
		return fmt.Errorf("--%s: at least one endpoint is required", flag)
	}
	for _, ep := range endpoints {
		host, port, err := net.SplitHostPort(ep)
		if err != nil {
			return fmt.Errorf("--%s: endpoint %q: %w", flag, ep, err)
		}
		if host == "" {
			return fmt.Errorf("--%s: endpoint %q has no host", flag, ep)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("--%s: endpoint %q: port %q is not a number from 1 to 65535", flag, ep, port)
		}
	}
	return nil
}

// CheckPositive reports whether d is greater than zero, as timeouts and periods must be. The error
// names flag.
func CheckPositive(flag string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("--%s: %s is not a positive duration", flag, d)
	}
	return nil
}

// NodeName returns the name a node-local daemon (kubelet, proxy) goes by: override when set,
// else the machine's host name, lower-cased and trimmed as Kubernetes does. It fails when the
// result is empty or the host name cannot be read. Full validation of the name is the API
// server's when the node registers.
func NodeName(override string) (string, error) {
	name := override
	if name == "" {
		h, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("read host name (set --hostname-override instead): %w", err)
		}
		name = h
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return "", errors.New("--hostname-override: node name is empty")
	}
	return name, nil
}
