package validation

import (
	"net/netip"
	"strings"
)

// PortNameMaxLength is the longest IANA service name (RFC 6335).
const PortNameMaxLength = 15

// IsValidPortNum checks a port number in 1..65535.
func IsValidPortNum(port int) []string {
	if 1 <= port && port <= 65535 {
		return nil
	}
	return []string{InclusiveRangeError(1, 65535)}
}

// IsValidPortName checks a named port (an IANA service name): 1 to 15 lower case alphanumerics or
// '-', at least one letter, no '-' at either end and no "--".
func IsValidPortName(port string) []string {
	var errs []string
	if len(port) > PortNameMaxLength {
		errs = append(errs, MaxLenError(PortNameMaxLength))
	}
	hasLetter, charsetOK := false, port != ""
	for i := 0; i < len(port); i++ {
		c := port[i]
		hasLetter = hasLetter || isLower(c)
		if !isLowerAlnum(c) && c != '-' {
			charsetOK = false
		}
	}
	if !charsetOK {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if !hasLetter {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.Contains(port, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if port != "" && (port[0] == '-' || port[len(port)-1] == '-') {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}

// IsValidIP checks an IPv4 or IPv6 address. Like current Kubernetes it rejects IPv4 octets with
// leading zeros (ambiguous: octal or decimal) and IPv6 zones.
func IsValidIP(value string) []string {
	if _, err := netip.ParseAddr(value); err != nil || strings.Contains(value, "%") {
		return []string{"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}
	}
	return nil
}

// IsCIDR checks an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/64.
func IsCIDR(value string) []string {
	if _, err := netip.ParsePrefix(value); err != nil || strings.Contains(value, "%") {
		return []string{"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"}
	}
	return nil
}
