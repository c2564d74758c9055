package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestServiceAllocationSurvivesKill9 kills keelson-apiserver with SIGKILL while services are
// being created, starts it again on the same data, and checks that the repair loop leaves the
// stored bitmaps marking exactly the cluster IPs and node ports the stored services hold.
func TestServiceAllocationSurvivesKill9(t *testing.T) {
	bin := requireBinaries(t)
	p := newClusterPKI(t, bin)
	dataDir := t.TempDir()
	etcdPort := freePort(t)
	start := func() (*exec.Cmd, string) {
		t.Helper()
		// Each start on a port of its own: the killed apiserver's may not be free again at once.
		port := strconv.Itoa(freePort(t))
		addr := "127.0.0.1:" + port
		args := append(p.apiserverArgs(), "--port", port, "--data-dir", dataDir,
			"--etcd-client-port", strconv.Itoa(etcdPort), "--etcd-peer-port", "0", "--log-level", "warn",
			"--repair-interval", "200ms",
			// A SIGKILL leaves what etcd wrote in the page cache: fsync guards only against
			// power loss, which this test does not stage.
			"--etcd-unsafe-no-fsync")
		cmd := exec.Command(filepath.Join(bin, "keelson-apiserver"), args...)
		cmd.Stdout, cmd.Stderr = &testWriter{t: t}, &testWriter{t: t}
		require.NoError(t, cmd.Start())
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		require.True(t, framework.Poll(60*time.Second, 100*time.Millisecond, p.readyz(t, addr)),
			"keelson-apiserver ready over TLS")
		return cmd, addr
	}

	cmd, addr := start()
	c := p.adminClient(t, addr)

	// Creates run until the kill makes them fail, bounded in number and time.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const workers, maxCreates = 8, 2000
	var created, next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > maxCreates {
					return
				}
				svc := &corev1.Service{Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("svc-%d", i)}, Spec: &corev1.ServiceSpec{
					Type: "NodePort", Selector: map[string]string{"app": "x"}, Ports: []*corev1.ServicePort{{Port: 80}},
				}}
				if _, err := c.Services("default").Create(ctx, svc); err != nil {
					return
				}
				created.Add(1)
			}
		}()
	}
	require.True(t, framework.Poll(30*time.Second, 5*time.Millisecond, func() bool { return created.Load() >= 100 }),
		"100 services created before the kill")
	require.NoError(t, cmd.Process.Kill(), "kill -9 the apiserver in the middle of creates")
	_ = cmd.Wait()
	wg.Wait()
	t.Logf("%d services created before the kill", created.Load())

	_, addr = start()
	c2 := p.adminClient(t, addr)
	// The embedded etcd serves only clients with a certificate of its CA: the apiserver's own,
	// which it generated in its data directory.
	pki := filepath.Join(dataDir, "pki")
	etcdCert, err := tls.LoadX509KeyPair(filepath.Join(pki, "apiserver-etcd-client.crt"), filepath.Join(pki, "apiserver-etcd-client.key"))
	require.NoError(t, err)
	etcdCA, err := os.ReadFile(filepath.Join(pki, "ca.crt"))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(etcdCA))
	etcd, err := clientv3.New(clientv3.Config{
		Endpoints: []string{fmt.Sprintf("127.0.0.1:%d", etcdPort)}, DialTimeout: 5 * time.Second,
		TLS: &tls.Config{Certificates: []tls.Certificate{etcdCert}, RootCAs: roots, MinVersion: tls.VersionTLS12},
	})
	require.NoError(t, err)
	defer func() { _ = etcd.Close() }()

	ctx, cancel = context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if ips, ports, err := heldByServices(ctx, c2); err == nil {
		ipBits, _ := storedBits(ctx, etcd, "/registry/ranges/serviceips")
		portBits, _ := storedBits(ctx, etcd, "/registry/ranges/servicenodeports")
		t.Logf("after the restart: %d IPs and %d node ports marked, %d and %d held (the difference leaked in the kill)",
			len(ipBits), len(portBits), len(ips), len(ports))
	}
	var last string
	ok := framework.Poll(30*time.Second, 200*time.Millisecond, func() bool {
		ips, ports, err := heldByServices(ctx, c2)
		if err != nil {
			last = err.Error()
			return false
		}
		ipBits, err1 := storedBits(ctx, etcd, "/registry/ranges/serviceips")
		portBits, err2 := storedBits(ctx, etcd, "/registry/ranges/servicenodeports")
		if err1 != nil || err2 != nil {
			last = fmt.Sprint(err1, err2)
			return false
		}
		last = fmt.Sprintf("services hold %d IPs and %d ports; bitmaps mark %d and %d", len(ips), len(ports), len(ipBits), len(portBits))
		return maps.Equal(ips, ipBits) && maps.Equal(ports, portBits)
	})
	require.True(t, ok, "after repair the bitmaps mark exactly the stored services' values: %s", last)
}

// heldByServices returns the IP offsets (from 127.96.0.1) and node port offsets (from 30000) the
// stored services hold, or an error when one is held twice.
func heldByServices(ctx context.Context, c *client.Client) (ips, ports map[int]bool, err error) {
	list, err := c.Services("").List(ctx, client.ListOptions{})
	if err != nil {
		return nil, nil, err
	}
	base := netip.MustParseAddr("127.96.0.1").As4()
	ips, ports = map[int]bool{}, map[int]bool{}
	for _, svc := range list.Items {
		if ip, err := netip.ParseAddr(svc.GetSpec().GetClusterIp()); err == nil {
			a := ip.As4()
			off := int(a[2]-base[2])*256 + int(a[3]) - int(base[3])
			if ips[off] {
				return nil, nil, fmt.Errorf("IP %s held twice", ip)
			}
			ips[off] = true
		}
		for _, p := range svc.GetSpec().GetPorts() {
			if np := int(p.GetNodePort()); np != 0 {
				if ports[np-30000] {
					return nil, nil, fmt.Errorf("node port %d held twice", np)
				}
				ports[np-30000] = true
			}
		}
	}
	return ips, ports, nil
}

// storedBits returns the offsets a stored range marks.
func storedBits(ctx context.Context, etcd *clientv3.Client, key string) (map[int]bool, error) {
	resp, err := etcd.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%s not stored", key)
	}
	var rec struct {
		Data []byte `json:"data"`
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &rec); err != nil {
		return nil, err
	}
	set := map[int]bool{}
	for i, b := range rec.Data {
		for bit := range 8 {
			if b&(1<<bit) != 0 {
				set[i*8+bit] = true
			}
		}
	}
	return set, nil
}
