package encryption

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is a loaded EncryptionConfiguration: which transformer serves which resources.
type Config struct {
	rules []rule
}

type rule struct {
	resources   []string
	transformer *Transformer
}

// The file's shape, as Kubernetes' apiserver.config.k8s.io/v1 EncryptionConfiguration spells it.
type fileConfig struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Resources  []fileResource `json:"resources"`
}

type fileResource struct {
	Resources []string `json:"resources"`
	// Each provider is an object with one field naming its type; kept raw to name an unknown one.
	Providers []map[string]json.RawMessage `json:"providers"`
}

type fileKeys struct {
	Keys []fileKey `json:"keys"`
}

type fileKey struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// Load reads the EncryptionConfiguration at path. Its errors name the file and the field.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption provider config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads an EncryptionConfiguration from data; path names it in errors.
func Parse(path string, data []byte) (*Config, error) {
	var fc fileConfig
	if err := yaml.UnmarshalStrict(data, &fc); err != nil {
		return nil, fmt.Errorf("encryption provider config %s: %w", path, err)
	}
	var errs []error
	if fc.APIVersion != "apiserver.config.k8s.io/v1" {
		errs = append(errs, fmt.Errorf("apiVersion: %q is not apiserver.config.k8s.io/v1", fc.APIVersion))
	}
	if fc.Kind != "EncryptionConfiguration" {
		errs = append(errs, fmt.Errorf("kind: %q is not EncryptionConfiguration", fc.Kind))
	}
	if len(fc.Resources) == 0 {
		errs = append(errs, errors.New("resources: at least one entry is required"))
	}
	cfg := &Config{}
	seen := map[string]string{}
	for i, r := range fc.Resources {
		at := fmt.Sprintf("resources[%d]", i)
		if len(r.Resources) == 0 {
			errs = append(errs, fmt.Errorf("%s.resources: at least one resource is required", at))
		}
		for j, res := range r.Resources {
			field := fmt.Sprintf("%s.resources[%d]", at, j)
			if res == "" || res != strings.ToLower(res) {
				errs = append(errs, fmt.Errorf("%s: %q must be a lowercase resource, resource.group, *.group or *.*", field, res))
			}
			if prev, ok := seen[res]; ok {
				errs = append(errs, fmt.Errorf("%s: %q is already listed in %s", field, res, prev))
			}
			seen[res] = field
		}
		t, err := parseProviders(at+".providers", r.Providers)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cfg.rules = append(cfg.rules, rule{resources: r.Resources, transformer: t})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("encryption provider config %s: %w", path, err)
	}
	return cfg, nil
}

// parseProviders builds the transformer of one resources entry; at names its providers field.
func parseProviders(at string, providers []map[string]json.RawMessage) (*Transformer, error) {
	if len(providers) == 0 {
		return nil, fmt.Errorf("%s: at least one provider is required", at)
	}
	var errs []error
	t := &Transformer{}
	names := map[string]bool{}
	for i, p := range providers {
		field := fmt.Sprintf("%s[%d]", at, i)
		if len(p) != 1 {
			errs = append(errs, fmt.Errorf("%s: exactly one of aesgcm, secretbox, identity is required, found %d fields", field, len(p)))
			continue
		}
		for typ, raw := range p {
			field += "." + typ
			switch typ {
			case "identity":
				t.readers = append(t.readers, identity{})
			case "aesgcm", "secretbox":
				keys, err := parseKeys(field, typ, raw, names)
				if err != nil {
					errs = append(errs, err)
				}
				t.readers = append(t.readers, keys...)
			default:
				errs = append(errs, fmt.Errorf("%s: unknown provider %q (known: aesgcm, secretbox, identity)", field, typ))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// parseKeys reads the keys of an aesgcm or secretbox provider at field, a provider per key in
// order: the first key of the first provider is the one that encrypts.
func parseKeys(field, typ string, raw json.RawMessage, names map[string]bool) ([]provider, error) {
	var fk fileKeys
	if err := yaml.UnmarshalStrict(raw, &fk); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if len(fk.Keys) == 0 {
		return nil, fmt.Errorf("%s.keys: at least one key is required", field)
	}
	var errs []error
	var out []provider
	for i, k := range fk.Keys {
		at := fmt.Sprintf("%s.keys[%d]", field, i)
		if k.Name == "" || strings.Contains(k.Name, ":") {
			errs = append(errs, fmt.Errorf("%s.name: %q must be a non-empty name without a colon", at, k.Name))
		}
		if names[typ+"/"+k.Name] {
			errs = append(errs, fmt.Errorf("%s.name: %q is used by another %s key of these resources", at, k.Name, typ))
		}
		names[typ+"/"+k.Name] = true
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.secret: not valid base64: %w", at, err))
			continue
		}
		var p provider
		if typ == "aesgcm" {
			p, err = newAESGCM(k.Name, secret)
		} else {
			p, err = newSecretbox(k.Name, secret)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.secret: %w", at, err))
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// For returns the transformer of the resource in group ("" for the core group), or nil when the
// configuration does not name it. As in Kubernetes, the first entry that names the resource
// decides: "secrets" (core), "deployments.apps", "*." (every core resource), "*.apps", "*.*".
func (c *Config) For(group, resource string) *Transformer {
	exact := resource
	if group != "" {
		exact = resource + "." + group
	}
	for _, r := range c.rules {
		for _, res := range r.resources {
			if res == exact || res == "*."+group || res == "*.*" {
				return r.transformer
			}
		}
	}
	return nil
}
