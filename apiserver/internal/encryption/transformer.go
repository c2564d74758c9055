package encryption

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// encryptedPrefix starts every value a provider other than identity wrote.
var encryptedPrefix = []byte("k8s:enc:")

// ErrNoProvider says no configured provider can read a stored value: it was written with a key
// that has been removed, or by a provider no longer listed.
var ErrNoProvider = errors.New("no configured encryption provider can read the value")

// provider is one way of writing values (one key of an aesgcm or secretbox provider, or identity).
type provider interface {
	// prefix starts every value seal writes (empty for identity).
	prefix() []byte
	// seal encrypts plain, stored at the etcd key key, and returns the value with its prefix.
	seal(key string, plain []byte) ([]byte, error)
	// open decrypts a value that starts with prefix.
	open(key string, value []byte) ([]byte, error)
}

// Transformer encrypts the values of some resources with its first provider and decrypts them
// with whichever provider wrote them. It is safe for concurrent use.
type Transformer struct {
	// readers are the providers in configured order, a provider per key.
	readers []provider
}

// TransformToStorage encrypts data, stored at key, with the first provider.
func (t *Transformer) TransformToStorage(key string, data []byte) ([]byte, error) {
	out, err := t.readers[0].seal(key, data)
	if err != nil {
		return nil, fmt.Errorf("encrypt %s: %w", key, err)
	}
	return out, nil
}

// TransformFromStorage decrypts value, stored at key, with the provider whose prefix it carries,
// or returns it as it is when identity is configured and it carries none. stale is true when the
// first provider did not write it, so a write should store it anew.
func (t *Transformer) TransformFromStorage(key string, value []byte) (data []byte, stale bool, err error) {
	encrypted := bytes.HasPrefix(value, encryptedPrefix)
	for i, p := range t.readers {
		pre := p.prefix()
		if len(pre) == 0 {
			if encrypted {
				// A value of a provider that is not configured (any more) is no plain value.
				continue
			}
			return value, i != 0, nil
		}
		if !bytes.HasPrefix(value, pre) {
			continue
		}
		out, err := p.open(key, value)
		if err != nil {
			return nil, false, fmt.Errorf("decrypt %s with %s: %w", key, bytes.TrimSuffix(pre, []byte(":")), err)
		}
		return out, i != 0, nil
	}
	if encrypted {
		written := value[:min(len(value), 64)]
		if end := bytes.LastIndexByte(written, ':'); end > 0 {
			written = written[:end]
		}
		return nil, false, fmt.Errorf("%s: %w (written by %s)", key, ErrNoProvider, sanitize(written))
	}
	return nil, false, fmt.Errorf("%s: %w (not encrypted, and identity is not configured)", key, ErrNoProvider)
}

// sanitize keeps the printable part of an encrypted value's prefix for an error message.
func sanitize(b []byte) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, string(b))
}

// identity stores values as they are.
type identity struct{}

func (identity) prefix() []byte                              { return nil }
func (identity) seal(_ string, plain []byte) ([]byte, error) { return plain, nil }
func (identity) open(_ string, value []byte) ([]byte, error) { return value, nil }
