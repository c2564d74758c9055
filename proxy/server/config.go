package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/proxy/internal/forwarder"
	"github.com/keelson-dev/keelson/proxy/internal/ipaddr"
)

// ModeUserspace is the proxy mode that forwards through sockets in the proxy process.
const ModeUserspace = "userspace"

// Config is what a proxy needs to run. The mapstructure tags are the command-line flag names.
type Config struct {
	// BindAddress is the node's IP: node ports listen on it (0.0.0.0: on every address).
	BindAddress string `mapstructure:"bind-address"`
	// HealthzBindAddress is the host:port /healthz is served on.
	HealthzBindAddress string `mapstructure:"healthz-bind-address"`
	// MetricsBindAddress is the host:port /metrics is served on.
	MetricsBindAddress string `mapstructure:"metrics-bind-address"`
	// Port and MetricsPort, when not negative, replace the ports of HealthzBindAddress and
	// MetricsBindAddress (0: any free port), as the older --healthz-port style flags do.
	Port        int `mapstructure:"port"`
	MetricsPort int `mapstructure:"metrics-port"`
	// ProxyMode selects how traffic is forwarded; only "userspace" exists so far.
	ProxyMode string `mapstructure:"proxy-mode"`
	// UDPTimeout ends a UDP flow that carried nothing for that long.
	UDPTimeout time.Duration `mapstructure:"udp-timeout"`
	// ClusterIPInterface is the dummy interface cluster IPs are put on; "" leaves addresses
	// alone. Loopback cluster IPs never need it.
	ClusterIPInterface string `mapstructure:"cluster-ip-interface"`
	// ShutdownTimeout bounds how long the HTTP endpoints drain on shutdown.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`
	// HostnameOverride, when set, is the node name instead of the machine's host name.
	HostnameOverride string `mapstructure:"hostname-override"`
}

// DefaultConfig returns the configuration a proxy runs with when nothing is set: kube-proxy's
// ports and defaults.
func DefaultConfig() Config {
	return Config{
		BindAddress:        "0.0.0.0",
		HealthzBindAddress: "0.0.0.0:10256",
		MetricsBindAddress: "127.0.0.1:10249",
		Port:               -1,
		MetricsPort:        -1,
		ProxyMode:          ModeUserspace,
		UDPTimeout:         forwarder.DefaultUDPIdleTimeout,
		ClusterIPInterface: ipaddr.DefaultInterface,
		ShutdownTimeout:    10 * time.Second,
		APIClient:          config.DefaultAPIClient(),
	}
}

// AddFlags adds the proxy's own flags to fs with c's values as defaults.
func (c Config) AddFlags(fs *pflag.FlagSet) {
	fs.String("bind-address", c.BindAddress, "the node's IP address: node ports listen on it (0.0.0.0: every address)")
	fs.String("healthz-bind-address", c.HealthzBindAddress, "host:port to serve /healthz on")
	fs.String("metrics-bind-address", c.MetricsBindAddress, "host:port to serve /metrics on")
	fs.Int("port", c.Port, "when not negative, the port of --healthz-bind-address (0: any free port)")
	fs.Int("metrics-port", c.MetricsPort, "when not negative, the port of --metrics-bind-address (0: any free port)")
	fs.String("proxy-mode", c.ProxyMode, "how to forward service traffic: userspace")
	fs.Duration("udp-timeout", c.UDPTimeout, "how long an idle UDP flow stays open (userspace mode)")
	fs.String("cluster-ip-interface", c.ClusterIPInterface,
		"dummy interface to put non-loopback cluster IPs on ('' leaves addresses alone)")
	fs.Duration("shutdown-timeout", c.ShutdownTimeout, "how long to let in-flight HTTP requests finish on shutdown")
	c.APIClient.AddFlags(fs)
	fs.String("hostname-override", c.HostnameOverride, "node name to use instead of the host name")
}

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	_, nameErr := config.NodeName(c.HostnameOverride)
	var errs []error
	if c.ProxyMode != ModeUserspace {
		errs = append(errs, fmt.Errorf("--proxy-mode: unknown mode %q (supported: %s)", c.ProxyMode, ModeUserspace))
	}
	if _, err := netip.ParseAddr(c.BindAddress); err != nil {
		errs = append(errs, fmt.Errorf("--bind-address: %q is not an IP address", c.BindAddress))
	}
	healthz, herr := c.healthzAddress()
	metrics, merr := c.metricsAddress()
	errs = append(errs, herr, merr)
	if herr == nil && merr == nil && healthz == metrics && !hasPort(healthz, 0) {
		errs = append(errs, errors.New("--healthz-bind-address and --metrics-bind-address must differ"))
	}
	for flag, p := range map[string]int{"port": c.Port, "metrics-port": c.MetricsPort} {
		if p < -1 || p > 65535 {
			errs = append(errs, fmt.Errorf("--%s must be -1 (unset) or a port 0-65535, not %d", flag, p))
		}
	}
	if c.UDPTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--udp-timeout must be positive, not %s", c.UDPTimeout))
	}
	return errors.Join(append(errs,
		config.CheckPositive("shutdown-timeout", c.ShutdownTimeout),
		c.APIClient.Validate(),
		nameErr,
	)...)
}

// healthzAddress is the host:port /healthz listens on.
func (c Config) healthzAddress() (string, error) {
	return override("healthz-bind-address", c.HealthzBindAddress, c.Port)
}

// metricsAddress is the host:port /metrics listens on.
func (c Config) metricsAddress() (string, error) {
	return override("metrics-bind-address", c.MetricsBindAddress, c.MetricsPort)
}

// override checks addr (a host:port) and replaces its port with port when port is not negative.
func override(flag, addr string, port int) (string, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return "", fmt.Errorf("--%s: %q is not an IP address", flag, host)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("--%s: %q is not a port", flag, p)
	}
	if port >= 0 {
		n = port
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// hasPort reports whether addr's port is port.
func hasPort(addr string, port int) bool {
	_, p, _ := net.SplitHostPort(addr)
	return p == strconv.Itoa(port)
}
