package alloc

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseIPRange(t *testing.T) {
	tests := []struct {
		cidr        string
		size        int
		first, last string
		err         bool
	}{
		{cidr: "10.96.0.0/12", size: 1<<20 - 2, first: "10.96.0.1", last: "10.111.255.254"},
		{cidr: "127.96.0.0/16", size: 65534, first: "127.96.0.1", last: "127.96.255.254"},
		{cidr: "127.96.0.0/29", size: 6, first: "127.96.0.1", last: "127.96.0.6"},
		{cidr: "fd00::/120", size: 255, first: "fd00::1", last: "fd00::ff"},
		{cidr: "fd00::/64", size: maxIPRangeSize, first: "fd00::1", last: "fd00::10:0"},
		{cidr: "127.96.0.1/16", err: true},
		{cidr: "127.96.0.0/32", err: true},
		{cidr: "bogus", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			r, err := ParseIPRange(tt.cidr)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.size, r.Size())
			require.Equal(t, tt.first, r.Addr(0).String())
			require.Equal(t, tt.last, r.Addr(r.Size()-1).String())
			off, ok := r.Offset(netip.MustParseAddr(tt.last))
			require.True(t, ok)
			require.Equal(t, r.Size()-1, off)
		})
	}
}

func TestIPRangeOffsetOutside(t *testing.T) {
	r, err := ParseIPRange("127.96.0.0/29")
	require.NoError(t, err)
	for _, ip := range []string{"127.96.0.0", "127.96.0.7", "127.96.0.8", "127.97.0.1", "::1"} {
		_, ok := r.Offset(netip.MustParseAddr(ip))
		require.False(t, ok, ip)
	}
	require.Equal(t, "IPv4", r.Family())
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in   string
		want PortRange
		err  bool
	}{
		{in: "30000-32767", want: PortRange{Base: 30000, Size: 2768}},
		{in: "80", want: PortRange{Base: 80, Size: 1}},
		{in: "32767-30000", err: true},
		{in: "0-10", err: true},
		{in: "30000-70000", err: true},
		{in: "a-b", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePortRange(tt.in)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.in == "80", got.String() == "80-80")
		})
	}
}
