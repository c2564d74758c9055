package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
)

// ErrRangeFull is returned when every node range of a cluster range is taken.
var ErrRangeFull = errors.New("cluster CIDR range is full")

// cidrSet hands out the node ranges of one cluster range: the subnets of length maskBits of
// cluster, in order, lowest free first after the last one handed out. It is not safe for
// concurrent use.
type cidrSet struct {
	cluster  netip.Prefix
	maskBits int
	count    int
	used     map[int]bool
	next     int
}

// newCIDRSet splits cluster into subnets of maskBits; at most 2^30 of them.
func newCIDRSet(cluster netip.Prefix, maskBits int) (*cidrSet, error) {
	cluster = cluster.Masked()
	if maskBits < cluster.Bits() || maskBits > cluster.Addr().BitLen() || maskBits-cluster.Bits() > 30 {
		return nil, fmt.Errorf("node mask size %d does not fit cluster range %s", maskBits, cluster)
	}
	return &cidrSet{cluster: cluster, maskBits: maskBits, count: 1 << (maskBits - cluster.Bits()), used: map[int]bool{}}, nil
}

// subnet returns the i-th node range.
func (s *cidrSet) subnet(i int) netip.Prefix {
	base := s.cluster.Addr().AsSlice()
	n := new(big.Int).SetBytes(base)
	n.Add(n, new(big.Int).Lsh(big.NewInt(int64(i)), uint(s.cluster.Addr().BitLen()-s.maskBits)))
	out := make([]byte, len(base))
	n.FillBytes(out)
	addr, _ := netip.AddrFromSlice(out)
	return netip.PrefixFrom(addr, s.maskBits)
}

// index returns which node range p is, or an error if it is not one of this set's.
func (s *cidrSet) index(p netip.Prefix) (int, error) {
	if p.Bits() != s.maskBits || p.Addr().Is4() != s.cluster.Addr().Is4() || !s.cluster.Contains(p.Addr()) {
		return 0, fmt.Errorf("%s is not a /%d range of %s", p, s.maskBits, s.cluster)
	}
	off := new(big.Int).Sub(new(big.Int).SetBytes(p.Masked().Addr().AsSlice()), new(big.Int).SetBytes(s.cluster.Addr().AsSlice()))
	return int(off.Rsh(off, uint(s.cluster.Addr().BitLen()-s.maskBits)).Int64()), nil
}

// allocate takes the next free node range.
func (s *cidrSet) allocate() (netip.Prefix, error) {
	for k := range s.count {
		i := (s.next + k) % s.count
		if !s.used[i] {
			s.used[i] = true
			s.next = (i + 1) % s.count
			return s.subnet(i), nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%s: %w", s.cluster, ErrRangeFull)
}

// occupy marks p taken; it reports whether p was free.
func (s *cidrSet) occupy(p netip.Prefix) (bool, error) {
	i, err := s.index(p)
	if err != nil {
		return false, err
	}
	was := s.used[i]
	s.used[i] = true
	return !was, nil
}

// release frees p; a range not of this set is ignored.
func (s *cidrSet) release(p netip.Prefix) {
	if i, err := s.index(p); err == nil {
		delete(s.used, i)
	}
}

// contains reports whether p belongs to this set's cluster range and IP family.
func (s *cidrSet) contains(p netip.Prefix) bool {
	return p.Addr().Is4() == s.cluster.Addr().Is4() && s.cluster.Contains(p.Addr())
}
