package userspace

import (
	"net/netip"
	"testing"

	"github.com/keelson-dev/keelson/proxy/internal/balancer"
)

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return a
}

func balancerPort(ns, name, port string) balancer.ServicePort {
	return balancer.ServicePort{Namespace: ns, Name: name, Port: port}
}
