package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// aesGCM encrypts with AES-GCM under one key. Each write draws a random 12-byte nonce, stored
// before the ciphertext, as Kubernetes' aesgcm provider does: random nonces make a repeat likely
// only after about 2^32 writes under one key, which is why the key must be rotated long before
// that (Kubernetes advises every 200,000 writes). The etcd key is authenticated with the value,
// so a value copied to another key does not decrypt.
type aesGCM struct {
	pre  []byte
	aead cipher.AEAD
}

func newAESGCM(name string, secret []byte) (provider, error) {
	switch len(secret) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("an aesgcm key is 16, 24 or 32 bytes, this one is %d", len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &aesGCM{pre: []byte("k8s:enc:aesgcm:v1:" + name + ":"), aead: aead}, nil
}

func (a *aesGCM) prefix() []byte { return a.pre }

func (a *aesGCM) seal(key string, plain []byte) ([]byte, error) {
	n := a.aead.NonceSize()
	out := make([]byte, len(a.pre)+n, len(a.pre)+n+len(plain)+a.aead.Overhead())
	copy(out, a.pre)
	nonce := out[len(a.pre):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return a.aead.Seal(out, nonce, plain, []byte(key)), nil
}

func (a *aesGCM) open(key string, value []byte) ([]byte, error) {
	body := value[len(a.pre):]
	n := a.aead.NonceSize()
	if len(body) < n+a.aead.Overhead() {
		return nil, errors.New("value too short")
	}
	return a.aead.Open(nil, body[:n], body[n:], []byte(key))
}
