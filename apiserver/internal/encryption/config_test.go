package encryption

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// key returns n bytes of base64, different for each seed.
func key(n int, seed byte) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func config(resources string) string {
	return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n" + resources
}

// TestParseNamesTheFileAndTheField checks each kind of bad configuration is reported with the
// file's path and the field at fault.
func TestParseNamesTheFileAndTheField(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       []string
	}{
		{"bad base64", config(`
- resources: [secrets]
  providers:
  - aesgcm: {keys: [{name: k1, secret: "not base64!"}]}
`), []string{"resources[0].providers[0].aesgcm.keys[0].secret: not valid base64"}},
		{"aesgcm key length", config(`
- resources: [secrets]
  providers:
  - aesgcm: {keys: [{name: k1, secret: "` + key(20, 1) + `"}]}
`), []string{"resources[0].providers[0].aesgcm.keys[0].secret: an aesgcm key is 16, 24 or 32 bytes, this one is 20"}},
		{"secretbox key length", config(`
- resources: [configmaps]
  providers:
  - identity: {}
  - secretbox: {keys: [{name: k1, secret: "` + key(16, 1) + `"}]}
`), []string{"resources[0].providers[1].secretbox.keys[0].secret: a secretbox key is 32 bytes, this one is 16"}},
		{"unknown provider", config(`
- resources: [secrets]
  providers:
  - kms: {name: vault}
`), []string{`resources[0].providers[0].kms: unknown provider "kms"`}},
		{"no providers", config(`
- resources: [secrets]
`), []string{"resources[0].providers: at least one provider is required"}},
		{"wrong kind", "apiVersion: v1\nkind: Config\nresources: []\n", []string{
			`apiVersion: "v1" is not apiserver.config.k8s.io/v1`, `kind: "Config" is not EncryptionConfiguration`, "resources: at least one entry is required"}},
		{"resource listed twice", config(`
- resources: [secrets]
  providers: [{identity: {}}]
- resources: [secrets]
  providers: [{identity: {}}]
`), []string{`resources[1].resources[0]: "secrets" is already listed in resources[0].resources[0]`}},
		{"unknown field", config(`
- resources: [secrets]
  providers: [{identity: {}}]
  extra: 1
`), []string{"extra"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("/etc/enc.yaml", []byte(c.data))
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "encryption provider config /etc/enc.yaml: "), err.Error())
			for _, w := range c.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

// TestForMatchesAsKubernetesDoes checks exact, group-wildcard and all-wildcard entries, first one
// first.
func TestForMatchesAsKubernetesDoes(t *testing.T) {
	cfg, err := Parse("enc.yaml", []byte(config(`
- resources: [secrets, deployments.apps]
  providers: [{aesgcm: {keys: [{name: a, secret: "`+key(32, 1)+`"}]}}]
- resources: ["*.batch"]
  providers: [{secretbox: {keys: [{name: b, secret: "`+key(32, 2)+`"}]}}]
- resources: ["*."]
  providers: [{identity: {}}]
`)))
	require.NoError(t, err)
	secrets, jobs, core := cfg.For("", "secrets"), cfg.For("batch", "jobs"), cfg.For("", "configmaps")
	require.NotNil(t, secrets)
	require.Same(t, secrets, cfg.For("apps", "deployments"))
	require.NotNil(t, jobs)
	require.NotSame(t, secrets, jobs)
	require.NotNil(t, core)
	require.NotSame(t, secrets, core)
	require.Nil(t, cfg.For("apps", "replicasets"), "no entry names apps' other resources")
}
