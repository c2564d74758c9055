package algorithmprovider

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
)

// Args are what predicate and priority factories may use.
type Args struct {
	Listers algorithm.Listers
}

// PredicateFactory builds a predicate.
type PredicateFactory func(Args) algorithm.Predicate

// PriorityFactory builds a priority.
type PriorityFactory func(Args) algorithm.Priority

// PriorityKey is a priority key with its weight.
type PriorityKey struct {
	Name   string
	Weight int64
}

// Provider is a named algorithm: predicate keys and weighted priority keys.
type Provider struct {
	Name       string
	Predicates []string
	Priorities []PriorityKey
}

// Algorithm is a provider's predicates, in evaluation order, and weighted priorities.
type Algorithm struct {
	Provider   string
	Predicates []algorithm.Predicate
	Priorities []algorithm.WeightedPriority
}

// Registry holds predicate and priority factories and providers. It is not safe for concurrent
// registration; build it, then only read it.
type Registry struct {
	predicates map[string]PredicateFactory
	order      []string          // predicate keys in registration order, which is evaluation order
	aliases    map[string]string // alias -> predicate key
	priorities map[string]PriorityFactory
	providers  map[string]Provider
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		predicates: map[string]PredicateFactory{},
		aliases:    map[string]string{},
		priorities: map[string]PriorityFactory{},
		providers:  map[string]Provider{},
	}
}

// RegisterPredicate registers a predicate factory under key. Predicates run in the order they
// were registered, whatever order a provider lists them in, so register cheap and selective ones
// first.
func (r *Registry) RegisterPredicate(key string, f PredicateFactory) error {
	if key == "" || f == nil {
		return errors.New("register predicate: key and factory are required")
	}
	if r.hasPredicate(key) {
		return fmt.Errorf("register predicate %q: already registered", key)
	}
	r.predicates[key] = f
	r.order = append(r.order, key)
	return nil
}

// RegisterPredicateAlias makes alias another key of the predicate registered under key, as
// PodFitsPorts is of PodFitsHostPorts.
func (r *Registry) RegisterPredicateAlias(alias, key string) error {
	if _, ok := r.predicates[key]; !ok {
		return fmt.Errorf("register predicate alias %q: no predicate %q", alias, key)
	}
	if r.hasPredicate(alias) {
		return fmt.Errorf("register predicate alias %q: already registered", alias)
	}
	r.aliases[alias] = key
	return nil
}

func (r *Registry) hasPredicate(key string) bool {
	_, p := r.predicates[key]
	_, a := r.aliases[key]
	return p || a
}

// RegisterPriority registers a priority factory under key.
func (r *Registry) RegisterPriority(key string, f PriorityFactory) error {
	if key == "" || f == nil {
		return errors.New("register priority: key and factory are required")
	}
	if _, ok := r.priorities[key]; ok {
		return fmt.Errorf("register priority %q: already registered", key)
	}
	r.priorities[key] = f
	return nil
}

// RegisterAlgorithmProvider registers a provider. Every key must be registered already and every
// weight positive.
func (r *Registry) RegisterAlgorithmProvider(name string, predicateKeys []string, priorityKeys []PriorityKey) error {
	var errs []error
	if name == "" {
		errs = append(errs, errors.New("a name is required"))
	}
	if _, ok := r.providers[name]; ok {
		errs = append(errs, errors.New("already registered"))
	}
	for _, k := range predicateKeys {
		if !r.hasPredicate(k) {
			errs = append(errs, fmt.Errorf("unknown predicate %q", k))
		}
	}
	for _, p := range priorityKeys {
		if _, ok := r.priorities[p.Name]; !ok {
			errs = append(errs, fmt.Errorf("unknown priority %q", p.Name))
		}
		if p.Weight <= 0 {
			errs = append(errs, fmt.Errorf("priority %q: weight %d is not positive", p.Name, p.Weight))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("register algorithm provider %q: %w", name, err)
	}
	r.providers[name] = Provider{Name: name, Predicates: slices.Clone(predicateKeys), Priorities: slices.Clone(priorityKeys)}
	return nil
}

// Providers returns the registered providers' names, sorted.
func (r *Registry) Providers() []string {
	names := make([]string, 0, len(r.providers))
	for n := range r.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Provider returns the named provider.
func (r *Registry) Provider(name string) (Provider, bool) {
	p, ok := r.providers[name]
	return p, ok
}

// Build builds the algorithm the named provider describes: its predicates (aliases resolved,
// each once) in registration order, and its priorities with their weights.
func (r *Registry) Build(name string, args Args) (*Algorithm, error) {
	p, ok := r.providers[name]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm provider %q (registered: %v)", name, r.Providers())
	}
	want := map[string]bool{}
	for _, k := range p.Predicates {
		if target, ok := r.aliases[k]; ok {
			k = target
		}
		want[k] = true
	}
	alg := &Algorithm{Provider: name}
	for _, k := range r.order {
		if want[k] {
			alg.Predicates = append(alg.Predicates, r.predicates[k](args))
		}
	}
	for _, pk := range p.Priorities {
		alg.Priorities = append(alg.Priorities, algorithm.WeightedPriority{Priority: r.priorities[pk.Name](args), Weight: pk.Weight})
	}
	return alg, nil
}
