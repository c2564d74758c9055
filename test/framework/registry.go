package framework

import (
	"net"
	"net/http"
	"net/url"
	"sync"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// clusters holds every running test cluster by the address of each of its endpoints and of each
// running replica behind them, so that the helpers that are given only addresses (StartScheduler,
// StartControllerManager, StartServiceProxy, StartKubeletProcess, HTTPClientFor) reach a secure
// cluster with the right identity. Entries are removed when their cluster's test ends, and a
// replica's when it stops.
var clusters sync.Map // endpoint address → *Cluster

// register records c under each of its endpoints until the test ends.
func (c *Cluster) register() {
	for _, ep := range c.Endpoints() {
		clusters.Store(ep, c)
	}
	c.t.Cleanup(func() {
		for _, ep := range c.Endpoints() {
			clusters.Delete(ep)
		}
	})
}

// clusterOf returns the running test cluster one of whose endpoints is addr (host:port, or a URL),
// nil when there is none.
func clusterOf(addr string) *Cluster {
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil
	}
	if c, ok := clusters.Load(addr); ok {
		return c.(*Cluster)
	}
	return nil
}

// secureClusterOf returns the secure test cluster of the first endpoint, nil when the endpoints
// belong to no test cluster or to a plain-text one.
func secureClusterOf(endpoints []string) *Cluster {
	if len(endpoints) == 0 {
		return nil
	}
	if c := clusterOf(endpoints[0]); c != nil && c.pki != nil {
		return c
	}
	return nil
}

// HTTPClientFor returns an HTTP client for requests to addr (host:port or a URL): the admin's
// client of the test cluster serving addr (see Cluster.HTTPClient), or a plain client when addr
// is no test cluster's endpoint.
func HTTPClientFor(addr string) *http.Client {
	if c := clusterOf(addr); c != nil {
		return c.HTTPClient()
	}
	return &http.Client{}
}

// HTTPClientWithoutCertificateFor returns an HTTP client for requests to addr that presents no
// client certificate (see Cluster.HTTPClientWithoutCertificate), or a plain client when addr is no
// test cluster's endpoint.
func HTTPClientWithoutCertificateFor(addr string) *http.Client {
	if c := clusterOf(addr); c != nil {
		return c.HTTPClientWithoutCertificate()
	}
	return &http.Client{}
}

// GRPCCredentialsWithoutCertificateFor returns the transport credentials of gRPC connections to
// addr that present no client certificate, or plain-text ones when addr is no test cluster's
// endpoint.
func GRPCCredentialsWithoutCertificateFor(addr string) credentials.TransportCredentials {
	if c := clusterOf(addr); c != nil {
		return c.GRPCCredentialsWithoutCertificate()
	}
	return insecure.NewCredentials()
}
