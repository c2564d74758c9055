package rbac

import (
	"hash/maphash"
	"maps"
	"slices"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/boundedcache"
)

// DefaultDecisionCacheSize is how many decisions an index remembers at most.
const DefaultDecisionCacheSize = 4096

// decisionCache remembers the decisions taken on one index, so that a request asked again (the
// same user creating pod after pod in one namespace) is answered by a hash and a comparison
// instead of a walk over the user's grants and their rules. It belongs to the index it was filled
// from: a change of any role or binding publishes a new index with an empty cache, so a decision
// never outlives the policy it was taken on, and a revoked binding takes effect with the very
// change that revokes it. It holds at most its size (a boundedcache.Cache); when full, an entry
// chosen at random (Go's map order) makes room. It is safe for concurrent use.
type decisionCache struct {
	seed maphash.Seed
	// entries holds one decision per hash of its request; a request whose hash another holds (a
	// collision) is a miss and takes the slot over.
	entries *boundedcache.Cache[uint64, cachedDecision]
}

// cachedDecision is a remembered Allow (with its reason) or NoOpinion, RBAC never denying, and
// the request it was taken for, compared in full on every lookup: two requests share a decision
// only when no authorizer could tell them apart.
type cachedDecision struct {
	attrs authz.Attributes
	decision
}

// decision is an RBAC decision: Allow with its reason, or NoOpinion.
type decision struct {
	allowed bool
	reason  string
}

// newDecisionCache returns an empty cache of at most size decisions; 0 or less holds none.
func newDecisionCache(size int) *decisionCache {
	return &decisionCache{seed: maphash.MakeSeed(), entries: boundedcache.New[uint64, cachedDecision](size)}
}

// hash hashes every attribute of a but the user's extra, which only the comparison looks at (its
// map order would make the hash vary).
func (c *decisionCache) hash(a *authz.Attributes) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	u := a.User
	for _, s := range [...]string{u.Name, u.UID, a.Verb, a.APIGroup, a.APIVersion, a.Resource, a.Subresource, a.Namespace, a.Name, a.Path} {
		_, _ = h.WriteString(s)
		_ = h.WriteByte(0)
	}
	for _, g := range u.Groups {
		_, _ = h.WriteString(g)
		_ = h.WriteByte(0)
	}
	if a.ResourceRequest {
		_ = h.WriteByte(1)
	}
	return h.Sum64()
}

// sameRequest reports whether a and b ask the same of the same user: every attribute, the user's
// name, uid, groups (in order) and extra.
func sameRequest(a, b *authz.Attributes) bool {
	if a.Verb != b.Verb || a.ResourceRequest != b.ResourceRequest || a.APIGroup != b.APIGroup ||
		a.APIVersion != b.APIVersion || a.Resource != b.Resource || a.Subresource != b.Subresource ||
		a.Namespace != b.Namespace || a.Name != b.Name || a.Path != b.Path {
		return false
	}
	ua, ub := a.User, b.User
	return ua.Name == ub.Name && ua.UID == ub.UID && slices.Equal(ua.Groups, ub.Groups) &&
		maps.EqualFunc(ua.Extra, ub.Extra, slices.Equal[[]string])
}

// get returns the decision remembered for a, whose user is not nil, and a's hash for put.
func (c *decisionCache) get(a *authz.Attributes) (decision, uint64, bool) {
	h := c.hash(a)
	e, ok := c.entries.Get(h)
	if !ok || !sameRequest(&e.attrs, a) {
		return decision{}, h, false
	}
	return e.decision, h, true
}

// put remembers d for a, whose hash is h, making room first when the cache is full. It keeps a
// copy of a's user, which the caller may change afterwards.
func (c *decisionCache) put(h uint64, a *authz.Attributes, d decision) {
	e := cachedDecision{attrs: *a, decision: d}
	u := *a.User
	u.Groups = slices.Clone(u.Groups)
	if u.Extra != nil {
		u.Extra = make(map[string][]string, len(a.User.Extra))
		for k, v := range a.User.Extra {
			u.Extra[k] = slices.Clone(v)
		}
	}
	e.attrs.User = &u
	c.entries.Put(h, e)
}

// len returns how many decisions c holds.
func (c *decisionCache) len() int { return c.entries.Len() }
