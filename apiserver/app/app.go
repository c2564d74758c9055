// Package app wires keelson-apiserver together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
)

// component names keelson-apiserver in environment variables (KEELSON_APISERVER_<FLAG>).
const component = "apiserver"

// Config is everything keelson-apiserver reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-apiserver's flags with their defaults. Every flag is also read from
// KEELSON_APISERVER_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	d.Serving.AddFlags(fs)
	// The API, health and metrics share one port.
	fs.Lookup("bind-address").Usage = "IP address to serve gRPC and HTTP (the API, health and metrics) on"
	fs.Lookup("port").Usage = "port to serve gRPC and HTTP (the API, health and metrics) on (0: any free port)"
	fs.String("tls-cert-file", d.TLSCertFile, "serving certificate of the port, PEM (with --tls-private-key-file; empty: a self-signed one generated in --cert-dir)")
	fs.String("cert-dir", d.CertDir, "directory the self-signed serving certificate is generated in and kept, without --tls-cert-file")
	fs.String("tls-private-key-file", d.TLSPrivateKeyFile, "private key of --tls-cert-file, PEM")
	fs.String("client-ca-file", d.ClientCAFile, "CA bundle that client certificates are verified against; a client may present none, and one it presents must verify")
	fs.Int("insecure-port", d.InsecurePort, "also serve the API in plain text on this port of --insecure-bind-address, for development (-1: do not; 0: any free port)")
	fs.String("insecure-bind-address", d.InsecureBindAddress, "loopback address of the plain-text port")
	fs.String("kubelet-client-certificate", d.KubeletClientCertificate, "client certificate the apiserver presents to kubelets, PEM")
	fs.String("kubelet-client-key", d.KubeletClientKey, "private key of --kubelet-client-certificate, PEM")
	fs.String("kubelet-certificate-authority", d.KubeletCertificateAuthority, "CA bundle a kubelet's serving certificate must chain to (empty: the kubelet API is reached in plain text)")
	fs.StringSlice("etcd-servers", d.EtcdServers, "client URLs of an external etcd cluster, comma-separated; empty runs an embedded etcd")
	fs.String("etcd-prefix", d.EtcdPrefix, "root of every etcd key Keelson writes")
	fs.String("data-dir", d.DataDir, "data directory of the embedded etcd")
	fs.Int("etcd-client-port", d.EtcdClientPort, "loopback client port of the embedded etcd (0: any free port)")
	fs.Int("etcd-peer-port", d.EtcdPeerPort, "loopback peer port of the embedded etcd (0: any free port)")
	fs.Bool("etcd-unsafe-no-fsync", d.EtcdUnsafeNoFsync, "skip fsync in the embedded etcd (tests only: loses data on a crash)")
	fs.String("etcd-cafile", d.EtcdCAFile, "CA file the external etcd members' serving certificates chain to (empty: the system's roots)")
	fs.String("etcd-certfile", d.EtcdCertFile, "client certificate the apiserver shows the external etcd")
	fs.String("etcd-keyfile", d.EtcdKeyFile, "key of --etcd-certfile")
	fs.String("embedded-etcd-cert-file", d.EmbeddedEtcdCertFile, "serving certificate of the embedded etcd's client port (empty, with the other two: a private CA and certificates are generated in <data-dir>/pki)")
	fs.String("embedded-etcd-key-file", d.EmbeddedEtcdKeyFile, "key of --embedded-etcd-cert-file")
	fs.String("embedded-etcd-trusted-ca-file", d.EmbeddedEtcdTrustedCAFile, "CA a client's certificate must chain to for the embedded etcd to admit it")
	fs.String("embedded-etcd-peer-cert-file", d.EmbeddedEtcdPeerCertFile, "serving and client certificate of the embedded etcd's peer port (empty: the client port's)")
	fs.String("embedded-etcd-peer-key-file", d.EmbeddedEtcdPeerKeyFile, "key of --embedded-etcd-peer-cert-file")
	fs.String("embedded-etcd-peer-trusted-ca-file", d.EmbeddedEtcdPeerTrustedCAFile, "CA a peer's certificate must chain to")
	fs.String("encryption-provider-config", d.EncryptionProviderConfig, "EncryptionConfiguration file (apiserver.config.k8s.io/v1) saying how to encrypt which resources at rest: aesgcm, secretbox or identity; the first provider writes, every one reads (empty: no encryption)")
	fs.String("audit-log-path", d.AuditLogPath, "file the audit log is written to, JSON lines of audit.k8s.io/v1 Events at the Metadata level ('-': standard output; empty: no audit log)")
	fs.Int("audit-log-maxsize", d.AuditLogMaxSize, "megabytes the audit log may reach before it is rotated (0: never rotated)")
	fs.Int("audit-log-maxbackup", d.AuditLogMaxBackup, "rotated audit log files kept (0: all)")
	fs.Int("audit-log-maxage", d.AuditLogMaxAge, "days a rotated audit log file is kept (0: no limit)")
	fs.Duration("compaction-interval", d.CompactionInterval, "how often etcd history is compacted (0: never)")
	fs.Int("watch-cache-size", d.WatchCacheSize, "recent events each resource's watch cache keeps for resuming watches")
	fs.Int("watch-buffer-size", d.WatchBufferSize, "events a watcher may fall behind before it is cut off")
	fs.Duration("watch-bookmark-interval", d.WatchBookmarkInterval, "how often watchers that asked for bookmarks get one")
	fs.Int("max-object-bytes", d.MaxObjectBytes, "largest object the server stores, in bytes")
	fs.Int("max-request-body-bytes", d.MaxRequestBodyBytes, "largest REST request body, and largest JSON form of a patched object, in bytes (413 past it)")
	fs.Int("max-json-patch-operations", d.MaxJSONPatchOperations, "most operations a JSON patch may hold (413 past it)")
	fs.Int("json-patch-max-copy-bytes", d.JSONPatchMaxCopyBytes, "most bytes the copy operations of one JSON patch may add up to (422 past it)")
	fs.Int("max-requests-inflight", d.MaxRequestsInflight, "read-only requests served at once, REST and gRPC together; more get 429 with Retry-After (0: no bound; watches and logs not counted)")
	fs.Int("max-mutating-requests-inflight", d.MaxMutatingRequestsInflight, "mutating requests served at once, REST and gRPC together; more get 429 with Retry-After (0: no bound)")
	fs.Duration("inflight-queue-wait", d.InflightQueueWait, "how long a request over --max-requests-inflight or --max-mutating-requests-inflight waits for a slot, behind at most as many others, before its 429 (0: refused at once)")
	fs.Int("max-watches-per-client", d.MaxWatchesPerClient, "watches one client (remote IP address) may hold open, REST and gRPC together; more get 429 (0: no bound)")
	fs.Duration("request-timeout", d.RequestTimeout, "how long a request that is not a watch or a log may take; then it fails with 504")
	fs.Duration("request-body-read-timeout", d.RequestBodyReadTimeout, "how long a REST request's body may take to arrive; a slower client gets 408")
	fs.Int("etcd-max-writes-in-flight", d.EtcdMaxWritesInFlight, "write transactions open against etcd at once; more wait their turn (0: no bound)")
	fs.Int64("default-not-ready-toleration-seconds", d.DefaultNotReadyTolerationSeconds, "seconds of the not-ready:NoExecute toleration added to every pod without one")
	fs.Int64("default-unreachable-toleration-seconds", d.DefaultUnreachableTolerationSeconds, "seconds of the unreachable:NoExecute toleration added to every pod without one")
	fs.String("service-cluster-ip-range", d.ServiceClusterIPRange, "CIDR cluster IPs are allocated from; its first address is the kubernetes Service's (tests and `make run`: a loopback range such as 127.96.0.0/16)")
	fs.String("service-node-port-range", d.ServiceNodePortRange, "range node ports are allocated from, first-last")
	fs.String("advertise-address", d.AdvertiseAddress, "address this apiserver lists in the kubernetes Endpoints (empty: the bind address, or 127.0.0.1 when bound to every address)")
	fs.Duration("repair-interval", d.RepairInterval, "how often the cluster IP and node port bitmaps are rebuilt from the stored Services, freeing leaks")
	d.Auth.AddFlags(fs)
	fs.Duration("identity-lease-duration", d.IdentityLeaseDuration, "how long this apiserver's identity lease (kube-system/apiserver-<hash>) lasts without a renewal: a replica that dies leaves the kubernetes Endpoints within it (whole seconds)")
	fs.Duration("identity-lease-renew-interval", d.IdentityLeaseRenewInterval, "how often the identity lease is renewed and the kubernetes Endpoints reconciled to the live replicas (shorter than --identity-lease-duration)")
	d.TokenRequest.AddFlags(fs)
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// Run runs keelson-apiserver with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help.
func Run(args []string) error {
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
