package ipaddr

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is a Runner that records the commands and answers from a table of outputs.
type recorder struct {
	calls []string
	fail  map[string]string // command prefix -> output of a failed run
}

func (r *recorder) run(_ context.Context, args ...string) ([]byte, error) {
	cmd := strings.Join(args, " ")
	r.calls = append(r.calls, cmd)
	for p, out := range r.fail {
		if strings.HasPrefix(cmd, p) {
			return []byte(out), errors.New("exit status 2")
		}
	}
	return nil, nil
}

func TestManager(t *testing.T) {
	tests := []struct {
		name      string
		iface     string
		ip        string
		remove    bool
		fail      map[string]string
		wantCalls []string
		wantErr   string
	}{
		{name: "loopback needs nothing", iface: DefaultInterface, ip: "127.96.0.10"},
		{name: "no interface managed", iface: "", ip: "10.96.0.10"},
		{
			name: "add creates the interface", iface: DefaultInterface, ip: "10.96.0.10",
			wantCalls: []string{"link add keelson-svc0 type dummy", "link set keelson-svc0 up", "addr add 10.96.0.10/32 dev keelson-svc0"},
		},
		{
			name: "existing interface and address are fine", iface: DefaultInterface, ip: "10.96.0.10",
			fail:      map[string]string{"link add": "RTNETLINK answers: File exists", "addr add": "RTNETLINK answers: File exists"},
			wantCalls: []string{"link add keelson-svc0 type dummy", "link set keelson-svc0 up", "addr add 10.96.0.10/32 dev keelson-svc0"},
		},
		{
			name: "permission denied is an error", iface: DefaultInterface, ip: "10.96.0.10",
			fail:      map[string]string{"link add": "RTNETLINK answers: Operation not permitted"},
			wantCalls: []string{"link add keelson-svc0 type dummy"},
			wantErr:   "Operation not permitted",
		},
		{
			name: "remove", iface: DefaultInterface, ip: "fd00::10", remove: true,
			wantCalls: []string{"addr del fd00::10/128 dev keelson-svc0"},
		},
		{
			name: "removing a missing address is fine", iface: DefaultInterface, ip: "10.96.0.10", remove: true,
			fail:      map[string]string{"addr del": "RTNETLINK answers: Cannot assign requested address"},
			wantCalls: []string{"addr del 10.96.0.10/32 dev keelson-svc0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{fail: tt.fail}
			m := New(tt.iface, r.run)
			ip := netip.MustParseAddr(tt.ip)
			var err error
			if tt.remove {
				err = m.Remove(t.Context(), ip)
			} else {
				err = m.Add(t.Context(), ip)
			}
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantCalls, r.calls)
		})
	}
}
