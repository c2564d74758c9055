package encryption

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
)

// secretBox encrypts with NaCl's secretbox (XSalsa20 and Poly1305) under one 32-byte key and a
// random 24-byte nonce per write, stored before the sealed value, as Kubernetes' secretbox
// provider does. Its nonces are long enough that random ones never repeat in practice.
type secretBox struct {
	pre []byte
	key [32]byte
}

func newSecretbox(name string, secret []byte) (provider, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("a secretbox key is 32 bytes, this one is %d", len(secret))
	}
	s := &secretBox{pre: []byte("k8s:enc:secretbox:v1:" + name + ":")}
	copy(s.key[:], secret)
	return s, nil
}

func (s *secretBox) prefix() []byte { return s.pre }

func (s *secretBox) seal(_ string, plain []byte) ([]byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	out := make([]byte, 0, len(s.pre)+len(nonce)+len(plain)+secretbox.Overhead)
	out = append(append(out, s.pre...), nonce[:]...)
	return secretbox.Seal(out, plain, &nonce, &s.key), nil
}

func (s *secretBox) open(_ string, value []byte) ([]byte, error) {
	body := value[len(s.pre):]
	if len(body) < 24+secretbox.Overhead {
		return nil, errors.New("value too short")
	}
	var nonce [24]byte
	copy(nonce[:], body)
	out, ok := secretbox.Open(nil, body[24:], &nonce, &s.key)
	if !ok {
		return nil, errors.New("authentication failed: wrong key or damaged value")
	}
	return out, nil
}
