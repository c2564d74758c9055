package alloc

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// maxIPRangeSize bounds the addresses an IP range hands out, so its bitmap stays small (128 KiB).
const maxIPRangeSize = 1 << 20

// IPRange is a service CIDR: its usable addresses, offset 0 being the first after the network
// address. An IPv4 range leaves out its network and broadcast addresses, as Kubernetes does.
type IPRange struct {
	prefix netip.Prefix
	first  netip.Addr
	size   int
}

// ParseIPRange parses a CIDR such as 10.96.0.0/12.
func ParseIPRange(cidr string) (IPRange, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return IPRange{}, fmt.Errorf("service IP range %q: %w", cidr, err)
	}
	if p.Masked() != p {
		return IPRange{}, fmt.Errorf("service IP range %q: not a network address (%s)", cidr, p.Masked())
	}
	hostBits := p.Addr().BitLen() - p.Bits()
	size := maxIPRangeSize
	if hostBits < 21 {
		size = 1 << hostBits
		if p.Addr().Is4() {
			size -= 2 // network and broadcast
		} else {
			size-- // the subnet-router anycast address
		}
	}
	if size < 1 {
		return IPRange{}, fmt.Errorf("service IP range %q: too small, it holds no usable address", cidr)
	}
	return IPRange{prefix: p, first: p.Addr().Next(), size: size}, nil
}

// String returns the CIDR.
func (r IPRange) String() string { return r.prefix.String() }

// Size returns how many addresses the range hands out.
func (r IPRange) Size() int { return r.size }

// Family returns the range's IP family as the API names it: IPv4 or IPv6.
func (r IPRange) Family() string {
	if r.prefix.Addr().Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// Addr returns the address at offset i.
func (r IPRange) Addr(i int) netip.Addr {
	n := new(big.Int).SetBytes(r.first.AsSlice())
	n.Add(n, big.NewInt(int64(i)))
	buf := make([]byte, r.first.BitLen()/8)
	addr, _ := netip.AddrFromSlice(n.FillBytes(buf))
	return addr
}

// Offset returns ip's offset in the range, and false when ip is not one the range hands out.
func (r IPRange) Offset(ip netip.Addr) (int, bool) {
	ip = ip.Unmap()
	if !r.prefix.Contains(ip) || ip.BitLen() != r.first.BitLen() {
		return 0, false
	}
	d := new(big.Int).Sub(new(big.Int).SetBytes(ip.AsSlice()), new(big.Int).SetBytes(r.first.AsSlice()))
	if d.Sign() < 0 || !d.IsInt64() || d.Int64() >= int64(r.size) {
		return 0, false
	}
	return int(d.Int64()), true
}

// PortRange is a range of node ports, such as 30000-32767 (both ends included).
type PortRange struct {
	Base, Size int
}

// ParsePortRange parses "first-last" or a single port.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, found := strings.Cut(strings.TrimSpace(s), "-")
	first, err := strconv.Atoi(lo)
	last := first
	if err == nil && found {
		last, err = strconv.Atoi(hi)
	}
	if err != nil {
		return PortRange{}, fmt.Errorf("node port range %q: want first-last, such as 30000-32767", s)
	}
	if first < 1 || last > 65535 || last < first {
		return PortRange{}, fmt.Errorf("node port range %q: want 1 <= first <= last <= 65535", s)
	}
	return PortRange{Base: first, Size: last - first + 1}, nil
}

// String formats the range as Kubernetes does: first-last.
func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.Base, r.Base+r.Size-1) }

// Offset returns port's offset in the range, and false when port is outside it.
func (r PortRange) Offset(port int) (int, bool) {
	if port < r.Base || port >= r.Base+r.Size {
		return 0, false
	}
	return port - r.Base, true
}
