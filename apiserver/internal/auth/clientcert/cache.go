package clientcert

import (
	"crypto/sha256"
	"crypto/x509"

	"github.com/keelson-dev/keelson/apiserver/internal/boundedcache"
)

// DefaultCacheSize is how many verified chains an apiserver's Cache keeps.
const DefaultCacheSize = 4096

// Cache keeps the chains that verifying presented certificates against the client CA found, so
// that a client's every request does not verify its certificate's signatures again: the handshake
// only asks for certificates, and a connection carries many requests. It holds successes only,
// keyed by the presented certificates themselves; validity periods are still checked at every
// request. It is safe for concurrent use and holds at most its size, dropping an arbitrary
// entry when full. A Cache belongs to one set of Roots.
type Cache struct {
	chains *boundedcache.Cache[[sha256.Size]byte, []*x509.Certificate]
}

// NewCache returns a cache of at most size chains (at least one).
func NewCache(size int) *Cache {
	return &Cache{chains: boundedcache.New[[sha256.Size]byte, []*x509.Certificate](max(size, 1))}
}

// Len returns how many chains the cache holds.
func (c *Cache) Len() int { return c.chains.Len() }

// key identifies the presented certificates, leaf first.
func key(peer []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range peer {
		if c != nil {
			_, _ = h.Write(c.Raw)
		}
		_, _ = h.Write([]byte{0})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}
