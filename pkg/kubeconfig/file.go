package kubeconfig

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// New returns a kubeconfig with one cluster, one user and one context named name, current.
func New(name string, cluster Cluster, user AuthInfo) *Config {
	return &Config{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []NamedCluster{{Name: name, Cluster: cluster}},
		Users:          []NamedUser{{Name: name, User: user}},
		Contexts:       []NamedContext{{Name: name, Context: Context{Cluster: name, User: name}}},
		CurrentContext: name,
	}
}

// Load reads the kubeconfig file. Relative file paths in it (certificate-authority,
// client-certificate, client-key, tokenFile) are made relative to the file's directory, as
// kubectl does.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", file, err)
	}
	dir := filepath.Dir(file)
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for i := range c.Clusters {
		abs(&c.Clusters[i].Cluster.CertificateAuthority)
	}
	for i := range c.Users {
		u := &c.Users[i].User
		abs(&u.ClientCertificate)
		abs(&u.ClientKey)
		abs(&u.TokenFile)
	}
	return c, nil
}

// Parse decodes a kubeconfig from YAML or JSON. Unknown fields are ignored, as kubectl ignores
// them.
func Parse(data []byte) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if c.Kind != "" && c.Kind != "Config" {
		return nil, fmt.Errorf("kind %q is not Config", c.Kind)
	}
	return &c, nil
}

// Write writes c to file as YAML with mode 0600, since it may hold keys and tokens.
func Write(c *Config, file string) error {
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	return pki.WriteFile(file, data, 0o600)
}
