package validation

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsValidPortNum(t *testing.T) {
	tests := []struct {
		port  int
		valid bool
	}{
		{1, true}, {80, true}, {65535, true}, {0, false}, {-1, false}, {65536, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.port), func(t *testing.T) {
			got := IsValidPortNum(tc.port)
			if tc.valid {
				require.Nil(t, got)
				return
			}
			require.Equal(t, []string{"must be between 1 and 65535, inclusive"}, got)
		})
	}
}

func TestIsValidPortName(t *testing.T) {
	charset := "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"
	letter := "must contain at least one letter (a-z)"
	runValidation(t, IsValidPortName, []validationCase{
		{value: "http"},
		{value: "http-alt"},
		{value: "h2c"},
		{value: "a23456789012345"},
		{value: "", want: []string{charset, letter}},
		{value: "123", want: []string{letter}},
		{value: "HTTP", want: []string{charset, letter}},
		{value: "web_port", want: []string{charset}},
		{value: "a--b", want: []string{"must not contain consecutive hyphens"}},
		{value: "-ab", want: []string{"must not begin or end with a hyphen"}},
		{value: "ab-", want: []string{"must not begin or end with a hyphen"}},
		{value: "a234567890123456", want: []string{"must be no more than 15 characters"}},
	})
}

func TestIsValidIP(t *testing.T) {
	msg := []string{"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}
	runValidation(t, IsValidIP, []validationCase{
		{value: "10.9.8.7"},
		{value: "127.0.0.1"},
		{value: "::1"},
		{value: "2001:db8::ffff"},
		{value: "::ffff:1.2.3.4"},
		{value: "", want: msg},
		{value: "1.2.3", want: msg},
		{value: "1.2.3.256", want: msg},
		{value: "010.1.1.1", want: msg},
		{value: "fe80::1%eth0", want: msg},
		{value: "10.0.0.0/8", want: msg},
		{value: "example.com", want: msg},
	})
}

func TestIsCIDR(t *testing.T) {
	msg := []string{"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"}
	runValidation(t, IsCIDR, []validationCase{
		{value: "10.0.0.0/8"},
		{value: "10.9.8.7/32"},
		{value: "0.0.0.0/0"},
		{value: "2001:db8::/64"},
		{value: "", want: msg},
		{value: "10.0.0.0", want: msg},
		{value: "10.0.0.0/33", want: msg},
		{value: "2001:db8::/129", want: msg},
		{value: "10.0.0.0/-1", want: msg},
		{value: "fe80::%eth0/64", want: msg},
	})
}
