package tlsserving

import (
	"context"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc/credentials"
)

// Credentials returns gRPC server transport credentials for connections whose TLS handshake the
// listener has done: ServerHandshake finds the *tls.Conn under the connection it is given and
// returns its state as a credentials.TLSInfo, leaving the connection (with the bytes the split
// has buffered) as it is. A plain-text connection (a development port) gets no AuthInfo.
func Credentials() credentials.TransportCredentials { return terminated{} }

type terminated struct{}

func (terminated) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("tlsserving: server credentials cannot dial")
}

func (terminated) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	tc := TLSConn(c)
	if tc == nil {
		// No AuthInfo, as a server without credentials gives: code that reads a peer's TLS state
		// (the embedded etcd's, which sees the request's context in-process) expects either
		// none or a TLSInfo.
		return c, nil, nil
	}
	// A no-op once the split has read from the connection.
	if err := tc.Handshake(); err != nil {
		return nil, nil, fmt.Errorf("tls handshake: %w", err)
	}
	return c, credentials.TLSInfo{
		State:          tc.ConnectionState(),
		CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity},
	}, nil
}

func (terminated) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

func (t terminated) Clone() credentials.TransportCredentials { return t }

//nolint:staticcheck // OverrideServerName is part of the interface, deprecated for clients only.
func (terminated) OverrideServerName(string) error { return nil }
