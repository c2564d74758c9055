package registry

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/strategy"
	"github.com/keelson-dev/keelson/apiserver/internal/tolerationseconds"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Config configures a Registry.
type Config struct {
	Scheme  *scheme.Scheme
	Storage *storage.Store
	// Prefix is the root of every storage key (default "/registry").
	Prefix string
	// MaxObjectSize bounds an object's stored size in bytes (default 1.5 MiB, etcd's request limit).
	MaxObjectSize int
	// Patch bounds what one patch may cost; zero fields take Kubernetes' defaults.
	Patch PatchLimits
	// Cache configures every resource's watch cache; Resource, Prefix, Store, New, Fields and Clock
	// are filled in per resource.
	Cache watchcache.Config
	// DefaultTolerationSeconds, when set, gives every pod created without them the not-ready and
	// unreachable NoExecute tolerations (Kubernetes' DefaultTolerationSeconds admission).
	DefaultTolerationSeconds *tolerationseconds.Defaulter
	// Hooks reserve, per resource, what objects hold outside their own keys (see WriteHook).
	Hooks map[scheme.GroupVersionResource]WriteHook
	// Clock stamps deletions and times the watch caches (default the real clock).
	Clock  clock.Clock
	Logger *zap.Logger
}

// Registry holds a Store per resource.
type Registry struct {
	cfg       Config
	stores    map[scheme.GroupVersionResource]*Store
	lifecycle lifecycle
	// draining is closed by Drain.
	draining chan struct{}
	drain    sync.Once
	// fields holds the field managers of server-side apply and managedFields, built on first use.
	fields fieldManagers
	// admitters judge every create and update (see AddAdmission).
	admitters []Admitter
	// creators answer the create-only kinds (see SetCreator).
	creators map[scheme.GroupVersionResource]Creator
	// mutators change objects being created (see AddMutation).
	mutators []Mutator
	// tokens serves serviceaccounts/token (see SetTokenIssuer); nil serves none.
	tokens TokenIssuer
}

// New builds a store and a watch cache for every kind in cfg.Scheme. Nothing runs until Run.
func New(cfg Config) (*Registry, error) {
	if cfg.Scheme == nil || cfg.Storage == nil {
		return nil, fmt.Errorf("registry: Scheme and Storage are required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/registry"
	}
	if cfg.MaxObjectSize <= 0 {
		cfg.MaxObjectSize = 3 * 1024 * 1024 / 2
	}
	cfg.Patch = cfg.Patch.withDefaults()
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	strategies := strategy.NewSet()
	r := &Registry{cfg: cfg, stores: map[scheme.GroupVersionResource]*Store{}, draining: make(chan struct{})}
	for _, k := range cfg.Scheme.Kinds() {
		st := strategies.ForKind(k)
		if st == nil {
			return nil, fmt.Errorf("registry: no strategy for %s", k.GVR())
		}
		prefix := KeyPrefix(cfg.Prefix, k)
		cc := cfg.Cache
		cc.Resource = k.GVR().String()
		cc.Prefix = prefix
		cc.Store = cfg.Storage
		cc.New = k.New
		cc.Fields = st.SelectableFields
		cc.Clock = cfg.Clock
		cc.Logger = cfg.Logger.With(zap.String("resource", cc.Resource))
		status, spec := kindFields(k)
		r.stores[k.GVR()] = &Store{
			status:   status,
			spec:     spec,
			kind:     k,
			strategy: st,
			storage:  cfg.Storage,
			cache:    watchcache.New(cc),
			prefix:   prefix,
			registry: r,
			clock:    cfg.Clock,
			maxSize:  cfg.MaxObjectSize,
			lg:       cfg.Logger,
			hook:     cfg.Hooks[k.GVR()],
		}
	}
	return r, nil
}

// KeyPrefix returns the prefix, under root, of the storage keys of k's objects:
// <root>/<resource>/ for the core group, <root>/<group>/<resource>/ for the others.
func KeyPrefix(root string, k *scheme.Kind) string {
	if k.Group != "" {
		return root + "/" + k.Group + "/" + k.Resource + "/"
	}
	return root + "/" + k.Resource + "/"
}

// Run runs every watch cache until ctx ends.
func (r *Registry) Run(ctx context.Context) error {
	errs := make(chan error, len(r.stores))
	for _, s := range r.stores {
		go func() { errs <- s.cache.Run(ctx) }()
	}
	var first error
	for range r.stores {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// WaitReady waits until every watch cache has loaded, or ctx ends.
func (r *Registry) WaitReady(ctx context.Context) error {
	for _, s := range r.stores {
		if err := s.cache.WaitReady(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Store returns the store serving gvr, or a NotFound error naming the unknown resource.
func (r *Registry) Store(gvr scheme.GroupVersionResource) (*Store, error) {
	s, ok := r.stores[gvr]
	if !ok {
		return nil, &apierrors.StatusError{
			Reason:  apierrors.ReasonNotFound,
			Code:    404,
			Message: fmt.Sprintf("the server could not find the requested resource (%s)", gvr),
			Details: &apierrors.Details{Group: gvr.Group, Kind: gvr.Resource},
		}
	}
	return s, nil
}

// Scheme returns the registry's scheme.
func (r *Registry) Scheme() *scheme.Scheme { return r.cfg.Scheme }

// WatcherCount returns how many client watches every cache serves, in total.
func (r *Registry) WatcherCount() int {
	n := 0
	for _, s := range r.stores {
		n += s.cache.WatcherCount()
	}
	return n
}

// Store serves one resource. It is safe for concurrent use.
type Store struct {
	kind     *scheme.Kind
	strategy strategy.Strategy
	storage  *storage.Store
	cache    *watchcache.Cache
	prefix   string
	registry *Registry
	clock    clock.Clock
	maxSize  int
	lg       *zap.Logger
	// hook, when set, reserves around the resource's writes.
	hook WriteHook
	// status and spec are the kind's status field (nil without a status subresource) and spec
	// field (nil when it has none).
	status, spec protoreflect.FieldDescriptor
}

// Kind returns the kind the store serves.
func (s *Store) Kind() *scheme.Kind { return s.kind }

// key returns the storage key of the named object.
func (s *Store) key(namespace, name string) string {
	if s.kind.Namespaced {
		return s.prefix + namespace + "/" + name
	}
	return s.prefix + name
}

// scopePrefix returns the key prefix of a namespace ("" for all), or of the whole resource.
func (s *Store) scopePrefix(namespace string) string {
	if s.kind.Namespaced && namespace != "" {
		return s.prefix + namespace + "/"
	}
	return s.prefix
}

// notFound, conflict and friends name the store's resource in errors.
func (s *Store) notFound(name string) error {
	return apierrors.NewNotFound(s.kind.Group, s.kind.Resource, name)
}

func (s *Store) conflict(name, why string) error {
	return apierrors.NewConflict(s.kind.Group, s.kind.Resource, name, why)
}

// checkNamespace validates the namespace a request names against the kind's scope.
func (s *Store) checkNamespace(namespace string) error {
	if s.kind.Namespaced && namespace == "" {
		return apierrors.NewBadRequest("%s is namespaced: a namespace is required", s.kind.GVR())
	}
	if !s.kind.Namespaced && namespace != "" {
		return apierrors.NewBadRequest("%s is cluster-scoped: no namespace may be given (got %q)", s.kind.GVR(), namespace)
	}
	return nil
}
