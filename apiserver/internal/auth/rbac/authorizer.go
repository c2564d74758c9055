package rbac

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// Authorizer is the RBAC authorizer. Authorize is safe for concurrent use and never blocks on
// storage: it reads an immutable index that every change of a role or binding replaces, and
// remembers its decisions in a bounded cache that belongs to that index, so that they are
// forgotten with the change that replaces it.
type Authorizer struct {
	src Source
	// cacheSize bounds each index's decision cache; 0 turns the cache off.
	cacheSize int

	mu   sync.Mutex
	objs *objects
	idx  atomic.Pointer[index]
	// synced is closed once every kind's initial state is loaded; until then Authorize has no
	// opinion.
	synced   chan struct{}
	syncOnce sync.Once
	// rolesChanged is signalled (without blocking) when a cluster role changes, for
	// RunAggregation.
	rolesChanged chan struct{}
	// lastErr is why the last watch ended, for the log of whoever asks (LastWatchError).
	lastErr atomic.Pointer[error]
}

var _ authz.Authorizer = (*Authorizer)(nil)

// New returns an authorizer reading from src. It has no opinion on anything until Run has loaded
// the roles and bindings.
func New(src Source) *Authorizer {
	a := &Authorizer{src: src, cacheSize: DefaultDecisionCacheSize, objs: newObjects(), synced: make(chan struct{}), rolesChanged: make(chan struct{}, 1)}
	a.publish()
	return a
}

// Authorize allows the request when a rule of a role bound to its user matches it; otherwise it
// has no opinion (RBAC never denies). The reason names the binding, role and subject that allowed.
// A request asked before on the same roles and bindings is answered from the cache.
func (a *Authorizer) Authorize(_ context.Context, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.User == nil || !a.isSynced() {
		return authz.NoOpinion, "", nil
	}
	// One index throughout: a decision taken on it goes into its own cache, never into the cache
	// of an index published meanwhile.
	idx := a.idx.Load()
	var d decision
	if a.cacheSize <= 0 {
		d = decide(idx, &attrs)
	} else {
		var h uint64
		var ok bool
		if d, h, ok = idx.decisions.get(&attrs); !ok {
			d = decide(idx, &attrs)
			idx.decisions.put(h, &attrs, d)
		}
	}
	if !d.allowed {
		return authz.NoOpinion, "", nil
	}
	return authz.Allow, d.reason, nil
}

// decide evaluates attrs against idx.
func decide(idx *index, attrs *authz.Attributes) decision {
	var reason string
	idx.visit(attrs.User, attrs.Namespace, func(g *grant) bool {
		for _, r := range g.rules {
			if RuleAllows(attrs, r) {
				reason = g.why
				return false
			}
		}
		return true
	})
	return decision{allowed: reason != "", reason: reason}
}

// reason is Kubernetes' wording of an allowing grant.
func (g *grant) reason() string {
	if g.namespace != "" {
		return fmt.Sprintf("RBAC: allowed by %s %q of %s %q to %s in namespace %q", g.bindingKind, g.binding, g.roleKind, g.role, g.subject, g.namespace)
	}
	return fmt.Sprintf("RBAC: allowed by %s %q of %s %q to %s", g.bindingKind, g.binding, g.roleKind, g.role, g.subject)
}

// RulesFor returns every rule granted to u in namespace ("" for the cluster-wide grants only),
// cluster role bindings' first, for SelfSubjectRulesReview.
func (a *Authorizer) RulesFor(u *user.Info, namespace string) []*rbacv1.PolicyRule {
	var rules []*rbacv1.PolicyRule
	if u == nil {
		return nil
	}
	a.idx.Load().visit(u, namespace, func(g *grant) bool {
		rules = append(rules, g.rules...)
		return true
	})
	return rules
}

// WaitSynced waits until the roles and bindings are loaded, or ctx ends.
func (a *Authorizer) WaitSynced(ctx context.Context) error {
	select {
	case <-a.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *Authorizer) isSynced() bool {
	select {
	case <-a.synced:
		return true
	default:
		return false
	}
}

// update applies fn to the objects and publishes a new index.
func (a *Authorizer) update(fn func(o *objects)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a.objs)
	a.publish()
	select {
	case a.rolesChanged <- struct{}{}:
	default:
	}
}

// LastWatchError returns why a watch of roles or bindings last ended, or nil.
func (a *Authorizer) LastWatchError() error {
	if p := a.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// publish makes an index of the objects, with an empty decision cache, the one Authorize reads.
// The caller holds mu, or is New.
func (a *Authorizer) publish() {
	idx := a.objs.build()
	idx.decisions = newDecisionCache(a.cacheSize)
	a.idx.Store(idx)
}

func (a *Authorizer) markSynced() { a.syncOnce.Do(func() { close(a.synced) }) }
