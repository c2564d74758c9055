package nodeipam

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCIDRSet(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		mask    int
		want    []string // the ranges handed out until the set is full
	}{
		{name: "IPv4", cluster: "10.244.0.0/22", mask: 24, want: []string{"10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"}},
		{name: "IPv4 unaligned cluster range", cluster: "10.244.3.7/23", mask: 25, want: []string{"10.244.2.0/25", "10.244.2.128/25", "10.244.3.0/25", "10.244.3.128/25"}},
		{name: "IPv6", cluster: "fd00:10::/62", mask: 64, want: []string{"fd00:10::/64", "fd00:10:0:1::/64", "fd00:10:0:2::/64", "fd00:10:0:3::/64"}},
		{name: "one range", cluster: "10.0.0.0/24", mask: 24, want: []string{"10.0.0.0/24"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newCIDRSet(netip.MustParsePrefix(tt.cluster), tt.mask)
			require.NoError(t, err)
			var got []string
			for {
				p, err := s.allocate()
				if err != nil {
					require.True(t, errors.Is(err, ErrRangeFull), err)
					break
				}
				got = append(got, p.String())
				i, err := s.index(p)
				require.NoError(t, err)
				require.Equal(t, p, s.subnet(i))
			}
			require.Equal(t, tt.want, got)

			// A released range is handed out again, and only it.
			last := netip.MustParsePrefix(tt.want[len(tt.want)-1])
			s.release(last)
			p, err := s.allocate()
			require.NoError(t, err)
			require.Equal(t, last, p)
			free, err := s.occupy(last)
			require.NoError(t, err)
			require.False(t, free)
		})
	}
}

func TestCIDRSetRefuses(t *testing.T) {
	_, err := newCIDRSet(netip.MustParsePrefix("10.0.0.0/16"), 8)
	require.Error(t, err, "mask shorter than the cluster range")
	_, err = newCIDRSet(netip.MustParsePrefix("fd00::/8"), 64)
	require.Error(t, err, "too many ranges")
	s, err := newCIDRSet(netip.MustParsePrefix("10.0.0.0/16"), 24)
	require.NoError(t, err)
	for _, p := range []string{"10.1.0.0/24", "10.0.0.0/25", "fd00::/24"} {
		_, err := s.occupy(netip.MustParsePrefix(p))
		require.Error(t, err, p)
	}
}
