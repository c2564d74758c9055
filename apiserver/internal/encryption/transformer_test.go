package encryption

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// transformer parses providers, a YAML list, for secrets.
func transformer(t *testing.T, providers string) *Transformer {
	t.Helper()
	cfg, err := Parse("enc.yaml", []byte(config("- resources: [secrets]\n  providers:\n"+providers)))
	require.NoError(t, err)
	return cfg.For("", "secrets")
}

// aesgcmKeys returns an aesgcm provider with the named keys, in order; each name's secret is
// always the same.
func aesgcmKeys(names ...string) string {
	s := "  - aesgcm:\n      keys:\n"
	for _, n := range names {
		s += "      - {name: " + n + ", secret: \"" + key(32, n[0]) + "\"}\n"
	}
	return s
}

const plain = "kls\x00a secret value"

// TestProvidersRoundTripWithTheirPrefix checks each provider writes Kubernetes' prefix, hides the
// plain text and reads back what it wrote.
func TestProvidersRoundTripWithTheirPrefix(t *testing.T) {
	for _, c := range []struct {
		name, providers, prefix string
	}{
		{"aesgcm", "  - aesgcm: {keys: [{name: key1, secret: \"" + key(16, 3) + "\"}]}\n", "k8s:enc:aesgcm:v1:key1:"},
		{"secretbox", "  - secretbox: {keys: [{name: box, secret: \"" + key(32, 3) + "\"}]}\n", "k8s:enc:secretbox:v1:box:"},
		{"identity", "  - identity: {}\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := transformer(t, c.providers)
			out, err := tr.TransformToStorage("/registry/secrets/default/s", []byte(plain))
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(out, []byte(c.prefix)))
			if c.prefix != "" {
				require.NotContains(t, string(out), "a secret value")
				again, err := tr.TransformToStorage("/registry/secrets/default/s", []byte(plain))
				require.NoError(t, err)
				require.NotEqual(t, out, again, "every write draws a new nonce")
			}
			back, stale, err := tr.TransformFromStorage("/registry/secrets/default/s", out)
			require.NoError(t, err)
			require.False(t, stale)
			require.Equal(t, plain, string(back))
		})
	}
}

// TestRotation walks Kubernetes' rotation steps: a value of the old key stays readable, and stale,
// while the new key is second or first; rewritten, it is the new key's; with the old key removed,
// its values are refused by name.
func TestRotation(t *testing.T) {
	const k = "/registry/secrets/default/s"
	old := transformer(t, aesgcmKeys("old")+"  - identity: {}\n")
	plainStale, stale, err := old.TransformFromStorage(k, []byte(plain))
	require.NoError(t, err)
	require.True(t, stale, "a value written before encryption is stale")
	require.Equal(t, plain, string(plainStale))
	v1, err := old.TransformToStorage(k, []byte(plain))
	require.NoError(t, err)

	both := transformer(t, aesgcmKeys("old", "new"))
	_, stale, err = both.TransformFromStorage(k, v1)
	require.NoError(t, err)
	require.False(t, stale, "the old key is still first")

	swapped := transformer(t, aesgcmKeys("new", "old"))
	back, stale, err := swapped.TransformFromStorage(k, v1)
	require.NoError(t, err)
	require.True(t, stale, "a value of the second key is stale")
	require.Equal(t, plain, string(back))
	v2, err := swapped.TransformToStorage(k, back)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(v2, []byte("k8s:enc:aesgcm:v1:new:")))

	onlyNew := transformer(t, aesgcmKeys("new"))
	back, stale, err = onlyNew.TransformFromStorage(k, v2)
	require.NoError(t, err)
	require.False(t, stale)
	require.Equal(t, plain, string(back))
	_, _, err = onlyNew.TransformFromStorage(k, v1)
	require.ErrorIs(t, err, ErrNoProvider)
	require.ErrorContains(t, err, "k8s:enc:aesgcm:v1:old")
	_, _, err = onlyNew.TransformFromStorage(k, []byte(plain))
	require.ErrorIs(t, err, ErrNoProvider, "without identity a plain value is refused")
}

// TestDecryptFailures checks a value never reads as something else: under another key name, at
// another etcd key, damaged, or encrypted while only identity is configured.
func TestDecryptFailures(t *testing.T) {
	const k = "/registry/secrets/default/s"
	tr := transformer(t, aesgcmKeys("k")+"  - identity: {}\n")
	v, err := tr.TransformToStorage(k, []byte(plain))
	require.NoError(t, err)
	_, _, err = tr.TransformFromStorage("/registry/secrets/default/other", v)
	require.Error(t, err, "an aesgcm value is bound to its etcd key")
	damaged := bytes.Clone(v)
	damaged[len(damaged)-1] ^= 1
	_, _, err = tr.TransformFromStorage(k, damaged)
	require.Error(t, err)
	_, _, err = tr.TransformFromStorage(k, v[:len("k8s:enc:aesgcm:v1:k:")+3])
	require.Error(t, err)

	box := transformer(t, "  - secretbox: {keys: [{name: k, secret: \""+key(32, 9)+"\"}]}\n")
	bv, err := box.TransformToStorage(k, []byte(plain))
	require.NoError(t, err)
	other := transformer(t, "  - secretbox: {keys: [{name: k, secret: \""+key(32, 10)+"\"}]}\n")
	_, _, err = other.TransformFromStorage(k, bv)
	require.ErrorContains(t, err, "wrong key")

	ident := transformer(t, "  - identity: {}\n")
	_, _, err = ident.TransformFromStorage(k, v)
	require.True(t, errors.Is(err, ErrNoProvider), "ciphertext is never handed out as a plain value: %v", err)
}

// TestRouterPicksByResourcePrefix checks keys of configured resources are encrypted and others
// pass through, at both key depths.
func TestRouterPicksByResourcePrefix(t *testing.T) {
	tr := transformer(t, aesgcmKeys("k"))
	r := NewRouter(map[string]*Transformer{"/registry/secrets/": tr, "/registry/apps/deployments/": tr})
	for _, c := range []struct {
		key       string
		encrypted bool
	}{
		{"/registry/secrets/default/s", true},
		{"/registry/apps/deployments/default/d", true},
		{"/registry/configmaps/default/c", false},
		{"/registry/apps/replicasets/default/r", false},
		{"/registry/secretsx/default/s", false},
	} {
		t.Run(c.key, func(t *testing.T) {
			out, err := r.TransformToStorage(c.key, []byte(plain))
			require.NoError(t, err)
			require.Equal(t, c.encrypted, bytes.HasPrefix(out, encryptedPrefix))
			back, stale, err := r.TransformFromStorage(c.key, out)
			require.NoError(t, err)
			require.False(t, stale)
			require.Equal(t, plain, string(back))
		})
	}
}
