package server

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/alloc"
	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
	"github.com/keelson-dev/keelson/apiserver/internal/tolerationseconds"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/config"
)

// Config is the API server's configuration. The mapstructure tags are the flag names.
type Config struct {
	// Serving is where gRPC and HTTP are served (port 0 picks a free one) and how long in-flight
	// requests may take to finish on shutdown.
	config.Serving `mapstructure:",squash"`
	// TLSCertFile and TLSPrivateKeyFile are the serving certificate and key of the port; both
	// empty serve it with a self-signed certificate generated in CertDir.
	TLSCertFile       string `mapstructure:"tls-cert-file"`
	TLSPrivateKeyFile string `mapstructure:"tls-private-key-file"`
	// CertDir is where the self-signed serving certificate is generated, and kept across
	// restarts, when TLSCertFile is empty.
	CertDir string `mapstructure:"cert-dir"`
	// ServePlainText serves the port in plain text when TLSCertFile is empty, with a loud
	// warning, instead of generating a certificate: for tests and benchmark baselines of an
	// embedded server only. It is untagged because it is no flag: the
	// binary's only plain-text port is InsecurePort, on loopback.
	ServePlainText bool
	// ClientCAFile is the CA bundle client certificates are verified against. A client need not
	// present one; one it presents must verify. Needs TLS.
	ClientCAFile string `mapstructure:"client-ca-file"`
	// InsecurePort serves the API in plain text on InsecureBindAddress as well, for development and
	// benchmark baselines: -1 (the default) does not, 0 picks a free port.
	InsecurePort int `mapstructure:"insecure-port"`
	// InsecureBindAddress is the plain-text port's address; it must be a loopback address.
	InsecureBindAddress string `mapstructure:"insecure-bind-address"`
	// KubeletClientCertificate and KubeletClientKey are the client certificate the API server
	// presents to kubelets (pods/log). KubeletCertificateAuthority is the CA a kubelet's serving
	// certificate must chain to; empty: the kubelet API is reached in plain text.
	KubeletClientCertificate    string `mapstructure:"kubelet-client-certificate"`
	KubeletClientKey            string `mapstructure:"kubelet-client-key"`
	KubeletCertificateAuthority string `mapstructure:"kubelet-certificate-authority"`
	// EtcdServers are the client URLs of an external etcd cluster; empty runs an embedded member.
	EtcdServers []string `mapstructure:"etcd-servers"`
	// EtcdPrefix is the root of every key Keelson writes.
	EtcdPrefix string `mapstructure:"etcd-prefix"`
	// DataDir holds the embedded member's data.
	DataDir string `mapstructure:"data-dir"`
	// EtcdClientPort and EtcdPeerPort are the embedded member's loopback ports (0: any free port).
	EtcdClientPort int `mapstructure:"etcd-client-port"`
	EtcdPeerPort   int `mapstructure:"etcd-peer-port"`
	// EtcdUnsafeNoFsync skips fsync in the embedded member: for tests only.
	EtcdUnsafeNoFsync bool `mapstructure:"etcd-unsafe-no-fsync"`
	// EtcdCAFile, EtcdCertFile and EtcdKeyFile secure the connection to an external cluster, as
	// Kubernetes' flags of the same names: the CA its members' certificates chain to (empty: the
	// system's roots) and the API server's client certificate and key.
	EtcdCAFile   string `mapstructure:"etcd-cafile"`
	EtcdCertFile string `mapstructure:"etcd-certfile"`
	EtcdKeyFile  string `mapstructure:"etcd-keyfile"`
	// EmbeddedEtcdCertFile, EmbeddedEtcdKeyFile and EmbeddedEtcdTrustedCAFile are the embedded
	// member's serving certificate and the CA a client's certificate must chain to (etcd's
	// --cert-file, --key-file, --trusted-ca-file with --client-cert-auth). The EmbeddedEtcdPeer
	// ones are the same for its peer port (empty: the client port's). All empty: a private CA and
	// certificates are generated in <data-dir>/pki.
	EmbeddedEtcdCertFile          string `mapstructure:"embedded-etcd-cert-file"`
	EmbeddedEtcdKeyFile           string `mapstructure:"embedded-etcd-key-file"`
	EmbeddedEtcdTrustedCAFile     string `mapstructure:"embedded-etcd-trusted-ca-file"`
	EmbeddedEtcdPeerCertFile      string `mapstructure:"embedded-etcd-peer-cert-file"`
	EmbeddedEtcdPeerKeyFile       string `mapstructure:"embedded-etcd-peer-key-file"`
	EmbeddedEtcdPeerTrustedCAFile string `mapstructure:"embedded-etcd-peer-trusted-ca-file"`
	// EncryptionProviderConfig is the path of an EncryptionConfiguration
	// (apiserver.config.k8s.io/v1) saying how to encrypt which resources at rest ("": stored as
	// they are).
	EncryptionProviderConfig string `mapstructure:"encryption-provider-config"`
	// AuditLogPath is where the audit log is written as JSON lines of audit.k8s.io/v1 Events at the
	// Metadata level ("-": standard output; "": no audit log).
	AuditLogPath string `mapstructure:"audit-log-path"`
	// AuditLogMaxSize rotates the audit log once it reaches this many megabytes (0: never);
	// AuditLogMaxBackup rotated files are kept (0: all), for at most AuditLogMaxAge days (0: no
	// limit).
	AuditLogMaxSize   int `mapstructure:"audit-log-maxsize"`
	AuditLogMaxBackup int `mapstructure:"audit-log-maxbackup"`
	AuditLogMaxAge    int `mapstructure:"audit-log-maxage"`
	// CompactionInterval is how often etcd history is compacted (0 never).
	CompactionInterval time.Duration `mapstructure:"compaction-interval"`
	// WatchCacheSize is how many recent events each resource's watch cache keeps.
	WatchCacheSize int `mapstructure:"watch-cache-size"`
	// WatchBufferSize is how far behind a watcher may fall before it is cut off.
	WatchBufferSize int `mapstructure:"watch-buffer-size"`
	// WatchBookmarkInterval is how often watchers that asked for bookmarks get one.
	WatchBookmarkInterval time.Duration `mapstructure:"watch-bookmark-interval"`
	// MaxObjectBytes bounds an object's stored size.
	MaxObjectBytes int `mapstructure:"max-object-bytes"`
	// MaxRequestBodyBytes bounds a REST request body and the JSON form of a patched object
	// (Kubernetes: 3 MiB); more is RequestEntityTooLarge (413).
	MaxRequestBodyBytes int `mapstructure:"max-request-body-bytes"`
	// MaxJSONPatchOperations bounds a JSON patch's operations (Kubernetes: 10000); more is 413.
	MaxJSONPatchOperations int `mapstructure:"max-json-patch-operations"`
	// JSONPatchMaxCopyBytes bounds the bytes a JSON patch's copy operations add up to (Kubernetes:
	// 3 MiB); more is Invalid (422).
	JSONPatchMaxCopyBytes int `mapstructure:"json-patch-max-copy-bytes"`
	// MaxRequestsInflight and MaxMutatingRequestsInflight bound the read-only and the mutating
	// requests served at once, over REST and gRPC together; more are refused with TooManyRequests
	// (429, Retry-After 1). Watches and pod logs are not counted. 0: no bound.
	MaxRequestsInflight         int `mapstructure:"max-requests-inflight"`
	MaxMutatingRequestsInflight int `mapstructure:"max-mutating-requests-inflight"`
	// InflightQueueWait is how long a request that finds its bound reached waits for a slot,
	// behind at most as many others as the bound, before the 429: a burst is served as slots
	// free rather than sent away for a second. 0: refused at once.
	InflightQueueWait time.Duration `mapstructure:"inflight-queue-wait"`
	// MaxWatchesPerClient bounds the watches one client (remote IP address) holds open over REST
	// and gRPC together; more are refused with TooManyRequests. 0: no bound.
	MaxWatchesPerClient int `mapstructure:"max-watches-per-client"`
	// RequestTimeout bounds a request that is not a watch or a log (Kubernetes' --request-timeout).
	RequestTimeout time.Duration `mapstructure:"request-timeout"`
	// RequestBodyReadTimeout bounds the time a REST request's body may take to arrive; a slower
	// client is cut off with 408.
	RequestBodyReadTimeout time.Duration `mapstructure:"request-body-read-timeout"`
	// EtcdMaxWritesInFlight bounds the write transactions open against etcd at once; more wait
	// (0: no bound).
	EtcdMaxWritesInFlight int `mapstructure:"etcd-max-writes-in-flight"`
	// DefaultNotReadyTolerationSeconds and DefaultUnreachableTolerationSeconds are how long the
	// tolerations of the not-ready and unreachable NoExecute taints added to every pod created
	// without them last.
	DefaultNotReadyTolerationSeconds    int64 `mapstructure:"default-not-ready-toleration-seconds"`
	DefaultUnreachableTolerationSeconds int64 `mapstructure:"default-unreachable-toleration-seconds"`
	// ServiceClusterIPRange is the CIDR cluster IPs are allocated from; its first address is the
	// kubernetes Service's.
	ServiceClusterIPRange string `mapstructure:"service-cluster-ip-range"`
	// ServiceNodePortRange is the range node ports are allocated from, first-last.
	ServiceNodePortRange string `mapstructure:"service-node-port-range"`
	// AdvertiseAddress is the address this apiserver lists in the kubernetes Endpoints ("": the
	// bind address, or 127.0.0.1 when bound to every address).
	AdvertiseAddress string `mapstructure:"advertise-address"`
	// RepairInterval is how often the allocation repair runs.
	RepairInterval time.Duration `mapstructure:"repair-interval"`
	// Auth is authentication and authorization (see Auth for the defaults and why).
	Auth `mapstructure:",squash"`
	// IdentityLeaseDuration is how long this replica's identity lease (kube-system/apiserver-<hash>)
	// lasts without a renewal: the longest a dead replica stays in the kubernetes Endpoints.
	IdentityLeaseDuration time.Duration `mapstructure:"identity-lease-duration"`
	// IdentityLeaseRenewInterval is how often the lease is renewed and the Endpoints reconciled.
	IdentityLeaseRenewInterval time.Duration `mapstructure:"identity-lease-renew-interval"`
	// TokenRequest configures the serviceaccounts/token subresource.
	TokenRequest `mapstructure:",squash"`
	// Clock times the watch caches, the compactor and deletion timestamps; nil is the real clock.
	// It is untagged because it is no flag: tests set it.
	Clock clock.Clock
}

// DefaultCertDir is where a server given no --tls-cert-file generates its serving certificate, as
// kube-apiserver's /var/run/kubernetes.
const DefaultCertDir = "/var/run/keelson"

// DefaultConfig returns the defaults: 127.0.0.1:6443 over TLS (a generated self-signed certificate
// unless --tls-cert-file is given), authorized by Node,RBAC, on an embedded etcd in .keelson/etcd.
func DefaultConfig() Config {
	return Config{
		Serving:                     config.Serving{BindAddress: "127.0.0.1", Port: 6443, ShutdownTimeout: 10 * time.Second},
		CertDir:                     DefaultCertDir,
		InsecurePort:                -1,
		InsecureBindAddress:         "127.0.0.1",
		EtcdPrefix:                  "/registry",
		DataDir:                     ".keelson/etcd",
		EtcdClientPort:              2379,
		EtcdPeerPort:                2380,
		CompactionInterval:          5 * time.Minute,
		WatchCacheSize:              4096,
		WatchBufferSize:             1024,
		WatchBookmarkInterval:       10 * time.Second,
		MaxObjectBytes:              1500 * 1024,
		MaxRequestBodyBytes:         registry.DefaultMaxPatchedBytes,
		MaxJSONPatchOperations:      registry.DefaultMaxJSONPatchOperations,
		JSONPatchMaxCopyBytes:       registry.DefaultMaxJSONPatchCopyBytes,
		MaxRequestsInflight:         limits.DefaultMaxRequestsInflight,
		MaxMutatingRequestsInflight: limits.DefaultMaxMutatingRequestsInflight,
		InflightQueueWait:           limits.DefaultQueueWait,
		MaxWatchesPerClient:         limits.DefaultMaxWatchesPerClient,
		RequestTimeout:              rest.DefaultRequestTimeout,
		RequestBodyReadTimeout:      rest.DefaultBodyReadTimeout,
		EtcdMaxWritesInFlight:       32,

		DefaultNotReadyTolerationSeconds:    tolerationseconds.DefaultSeconds,
		DefaultUnreachableTolerationSeconds: tolerationseconds.DefaultSeconds,
		ServiceClusterIPRange:               DefaultServiceClusterIPRange,
		ServiceNodePortRange:                DefaultServiceNodePortRange,
		RepairInterval:                      alloc.DefaultRepairInterval,
		Auth:                                DefaultAuth(),
		IdentityLeaseDuration:               alloc.DefaultIdentityLeaseDuration,
		IdentityLeaseRenewInterval:          alloc.DefaultIdentityLeaseRenewInterval,
	}
}

// Validate reports every invalid setting, naming its flag, in the order of the fields: the same
// configuration always gets the same message.
func (c Config) Validate() error {
	errs := []error{
		c.Serving.Validate(),
		config.CheckPort("etcd-client-port", c.EtcdClientPort),
		config.CheckPort("etcd-peer-port", c.EtcdPeerPort),
	}
	errs = append(errs, c.validateTLS())
	if len(c.EtcdServers) == 0 && c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir: required for the embedded etcd (or set --etcd-servers)"))
	}
	errs = append(errs, c.validateEtcdTLS())
	if c.EtcdPrefix == "" || c.EtcdPrefix[0] != '/' {
		errs = append(errs, fmt.Errorf("--etcd-prefix: %q must start with /", c.EtcdPrefix))
	}
	if c.CompactionInterval < 0 {
		errs = append(errs, fmt.Errorf("--compaction-interval: %s is negative", c.CompactionInterval))
	}
	errs = append(errs,
		checkCount("watch-cache-size", c.WatchCacheSize),
		checkCount("watch-buffer-size", c.WatchBufferSize),
		config.CheckPositive("watch-bookmark-interval", c.WatchBookmarkInterval),
		checkCount("max-object-bytes", c.MaxObjectBytes),
		checkCount("max-request-body-bytes", c.MaxRequestBodyBytes),
		checkCount("max-json-patch-operations", c.MaxJSONPatchOperations),
		checkCount("json-patch-max-copy-bytes", c.JSONPatchMaxCopyBytes),
	)
	errs = append(errs,
		checkNonNegative("max-requests-inflight", c.MaxRequestsInflight),
		checkNonNegative("max-mutating-requests-inflight", c.MaxMutatingRequestsInflight),
		checkNonNegative("max-watches-per-client", c.MaxWatchesPerClient),
		config.CheckPositive("request-timeout", c.RequestTimeout),
		config.CheckPositive("request-body-read-timeout", c.RequestBodyReadTimeout),
	)
	errs = append(errs,
		checkNonNegative("audit-log-maxsize", c.AuditLogMaxSize),
		checkNonNegative("audit-log-maxbackup", c.AuditLogMaxBackup),
		checkNonNegative("audit-log-maxage", c.AuditLogMaxAge),
	)
	errs = append(errs, c.validateServices())
	if c.InflightQueueWait < 0 {
		errs = append(errs, fmt.Errorf("--inflight-queue-wait: %s is negative; use 0 to refuse at once a request over the bound", c.InflightQueueWait))
	}
	if c.EtcdMaxWritesInFlight < 0 {
		errs = append(errs, fmt.Errorf("--etcd-max-writes-in-flight: %d is negative", c.EtcdMaxWritesInFlight))
	}
	if c.DefaultNotReadyTolerationSeconds < 0 {
		errs = append(errs, fmt.Errorf("--default-not-ready-toleration-seconds: %d is negative", c.DefaultNotReadyTolerationSeconds))
	}
	if c.DefaultUnreachableTolerationSeconds < 0 {
		errs = append(errs, fmt.Errorf("--default-unreachable-toleration-seconds: %d is negative", c.DefaultUnreachableTolerationSeconds))
	}
	errs = append(errs, c.Auth.Validate(), c.TokenRequest.Validate(c.Auth))
	return errors.Join(errs...)
}

// validateTLS checks the TLS, plain-text port and kubelet client flags.
func (c Config) validateTLS() error {
	var errs []error
	if (c.TLSCertFile == "") != (c.TLSPrivateKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-private-key-file: set both or neither"))
	}
	if c.TLSCertFile == "" && !c.ServePlainText && c.CertDir == "" {
		errs = append(errs, errors.New("--cert-dir: required without --tls-cert-file, to generate the serving certificate in"))
	}
	if c.ClientCAFile != "" && c.TLSCertFile == "" && c.ServePlainText {
		errs = append(errs, errors.New("--client-ca-file: needs TLS, and the port serves plain text"))
	}
	if c.InsecurePort < -1 || c.InsecurePort > 65535 {
		errs = append(errs, fmt.Errorf("--insecure-port: %d out of range -1-65535", c.InsecurePort))
	}
	if c.InsecurePort >= 0 {
		if ip := net.ParseIP(c.InsecureBindAddress); ip == nil || !ip.IsLoopback() {
			errs = append(errs, fmt.Errorf("--insecure-bind-address: %q is not a loopback address: the plain-text port serves this machine only", c.InsecureBindAddress))
		}
	}
	if (c.KubeletClientCertificate == "") != (c.KubeletClientKey == "") {
		errs = append(errs, errors.New("--kubelet-client-certificate and --kubelet-client-key: set both or neither"))
	}
	return errors.Join(errs...)
}

// checkNonNegative reports whether n, a bound where 0 means none, is not negative. The error names
// flag.
func checkNonNegative(flag string, n int) error {
	if n < 0 {
		return fmt.Errorf("--%s: %d is negative", flag, n)
	}
	return nil
}

// checkCount reports whether n, a size or count, is positive. The error names flag.
func checkCount(flag string, n int) error {
	if n <= 0 {
		return fmt.Errorf("--%s: %d is not a positive number", flag, n)
	}
	return nil
}
