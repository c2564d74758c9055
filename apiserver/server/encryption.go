package server

import (
	"github.com/keelson-dev/keelson/apiserver/internal/encryption"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// encryptionRouter loads the EncryptionConfiguration at path and returns the transformer that
// encrypts, under root, the keys of every kind of sch it names.
func encryptionRouter(path, root string, sch *scheme.Scheme) (*encryption.Router, error) {
	cfg, err := encryption.Load(path)
	if err != nil {
		return nil, err
	}
	byPrefix := map[string]*encryption.Transformer{}
	for _, k := range sch.Kinds() {
		if t := cfg.For(k.Group, k.Resource); t != nil {
			byPrefix[registry.KeyPrefix(root, k)] = t
		}
	}
	return encryption.NewRouter(byPrefix), nil
}
