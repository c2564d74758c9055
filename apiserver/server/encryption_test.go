package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
)

const secretPlain = "hunter2-in-plain-text"

// runUntilStopped runs an apiserver with cfg until the returned stop is called, and returns it
// once it is ready.
func runUntilStopped(t *testing.T, cfg server.Config) (*server.Server, func()) {
	t.Helper()
	srv, err := server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	select {
	case <-srv.Ready():
	case err := <-done:
		stopped = true
		cancel()
		t.Fatalf("apiserver stopped while starting: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("apiserver not ready after 30s")
	}
	return srv, stop
}

// do sends a REST request with a JSON body to srv and returns the status and body.
func do(t *testing.T, srv *server.Server, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+srv.Addr().String()+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// rawSecret returns the value etcd holds for the secret, read around the apiserver.
func rawSecret(t *testing.T, srv *server.Server, name string) []byte {
	t.Helper()
	resp, err := srv.EtcdClient().Get(context.Background(), "/registry/secrets/default/"+name)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	return resp.Kvs[0].Value
}

// readSecret reads the secret through the API and returns its password, decoded, and the whole
// object as the API returned it.
func readSecret(t *testing.T, srv *server.Server, name string) (string, []byte) {
	t.Helper()
	code, body := do(t, srv, http.MethodGet, "/api/v1/namespaces/default/secrets/"+name, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var s struct {
		Data map[string]string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &s))
	pw, err := base64.StdEncoding.DecodeString(s.Data["password"])
	require.NoError(t, err)
	return string(pw), body
}

func writeEncryptionConfig(t *testing.T, path string, providers string) {
	t.Helper()
	data := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n" + providers
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
}

// TestEncryptionAtRestAndKeyRotation stores a Secret with encryption on and reads etcd around the
// apiserver: the value carries Kubernetes' prefix and not the plain text, while the API returns
// it. Then it rotates the key as Kubernetes' documentation says, one restart per step, rewriting
// the secret with an update that changes nothing, and reads it after the old key is gone.
func TestEncryptionAtRestAndKeyRotation(t *testing.T) {
	cfg := servertest.Config(t)
	encPath := filepath.Join(t.TempDir(), "encryption.yaml")
	cfg.EncryptionProviderConfig = encPath
	key1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	key2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	k1 := "      - {name: key1, secret: " + key1 + "}\n"
	k2 := "      - {name: key2, secret: " + key2 + "}\n"
	secret := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"data":{"password":"` +
		base64.StdEncoding.EncodeToString([]byte(secretPlain)) + `"}}`

	// Before encryption: a plain secret, visible in etcd (which shows the check below can fail).
	plainCfg := cfg
	plainCfg.EncryptionProviderConfig = ""
	srv, stop := runUntilStopped(t, plainCfg)
	code, body := do(t, srv, http.MethodPost, "/api/v1/namespaces/default/secrets", []byte(strings.Replace(secret, `"db"`, `"old"`, 1)))
	require.Equal(t, http.StatusCreated, code, string(body))
	require.Contains(t, string(rawSecret(t, srv, "old")), secretPlain)
	stop()

	t.Run("encrypted with the first key", func(t *testing.T) {
		writeEncryptionConfig(t, encPath, "  - aesgcm:\n      keys:\n"+k1+"  - identity: {}\n")
		srv, stop := runUntilStopped(t, cfg)
		defer stop()
		code, body := do(t, srv, http.MethodPost, "/api/v1/namespaces/default/secrets", []byte(secret))
		require.Equal(t, http.StatusCreated, code, string(body))
		raw := rawSecret(t, srv, "db")
		require.True(t, bytes.HasPrefix(raw, []byte("k8s:enc:aesgcm:v1:key1:")), "%q", raw[:min(len(raw), 40)])
		require.NotContains(t, string(raw), secretPlain)
		pw, _ := readSecret(t, srv, "db")
		require.Equal(t, secretPlain, pw)

		// The secret written before encryption reads through identity; an update that changes
		// nothing encrypts it.
		pw, obj := readSecret(t, srv, "old")
		require.Equal(t, secretPlain, pw)
		code, body = do(t, srv, http.MethodPut, "/api/v1/namespaces/default/secrets/old", obj)
		require.Equal(t, http.StatusOK, code, string(body))
		require.True(t, bytes.HasPrefix(rawSecret(t, srv, "old"), []byte("k8s:enc:aesgcm:v1:key1:")))
	})
	t.Run("new key added second", func(t *testing.T) {
		writeEncryptionConfig(t, encPath, "  - aesgcm:\n      keys:\n"+k1+k2)
		srv, stop := runUntilStopped(t, cfg)
		defer stop()
		pw, _ := readSecret(t, srv, "db")
		require.Equal(t, secretPlain, pw)
		require.True(t, bytes.HasPrefix(rawSecret(t, srv, "db"), []byte("k8s:enc:aesgcm:v1:key1:")))
	})
	t.Run("new key moved first and every secret rewritten", func(t *testing.T) {
		writeEncryptionConfig(t, encPath, "  - aesgcm:\n      keys:\n"+k2+k1)
		srv, stop := runUntilStopped(t, cfg)
		defer stop()
		for _, name := range []string{"db", "old"} {
			pw, obj := readSecret(t, srv, name)
			require.Equal(t, secretPlain, pw)
			// kubectl get secrets -A -o json | kubectl replace -f -: each object as it was read.
			code, body := do(t, srv, http.MethodPut, "/api/v1/namespaces/default/secrets/"+name, obj)
			require.Equal(t, http.StatusOK, code, string(body))
			raw := rawSecret(t, srv, name)
			require.True(t, bytes.HasPrefix(raw, []byte("k8s:enc:aesgcm:v1:key2:")), "%q", raw[:min(len(raw), 40)])
			require.NotContains(t, string(raw), secretPlain)
		}
	})
	t.Run("old key removed", func(t *testing.T) {
		writeEncryptionConfig(t, encPath, "  - aesgcm:\n      keys:\n"+k2)
		srv, stop := runUntilStopped(t, cfg)
		defer stop()
		for _, name := range []string{"db", "old"} {
			pw, _ := readSecret(t, srv, name)
			require.Equal(t, secretPlain, pw)
		}
		code, body := do(t, srv, http.MethodGet, "/api/v1/namespaces/default/secrets?watch=false", nil)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, string(body), base64.StdEncoding.EncodeToString([]byte(secretPlain)), "lists decrypt too")
	})
}

// TestEncryptionProviderConfigErrorsStopTheStart checks a bad file fails Run, naming the file and
// field.
func TestEncryptionProviderConfigErrorsStopTheStart(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.EncryptionProviderConfig = filepath.Join(t.TempDir(), "encryption.yaml")
	writeEncryptionConfig(t, cfg.EncryptionProviderConfig, "  - aesgcm:\n      keys:\n      - {name: k, secret: c2hvcnQ=}\n")
	srv, err := server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Run(ctx)
	require.ErrorContains(t, err, cfg.EncryptionProviderConfig)
	require.ErrorContains(t, err, "resources[0].providers[0].aesgcm.keys[0].secret: an aesgcm key is 16, 24 or 32 bytes, this one is 5")
}
