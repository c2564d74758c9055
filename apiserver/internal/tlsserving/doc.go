// Package tlsserving serves gRPC and HTTP on one TLS-terminated port. The listener does the TLS
// handshake before the connection is split between the two servers (by cmux), so neither server
// sees a *tls.Conn itself; this package hands each the handshake's result the standard way: gRPC
// through transport credentials whose AuthInfo is a credentials.TLSInfo (so
// peer.FromContext(ctx).AuthInfo carries State.PeerCertificates), HTTP through r.TLS.
package tlsserving
