package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// parseRV parses a resourceVersion parameter: "" is 0.
func parseRV(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, apierrors.NewBadRequest("invalid resource version %q: must be a non-negative integer", rv)
	}
	return n, nil
}

// storageErr maps storage errors to API errors about the named object.
func (s *Store) storageErr(name string, err error) error {
	var tooLarge *storage.TooLargeError
	var apiErr *apierrors.StatusError
	switch {
	case errors.As(err, &apiErr):
		// Already an API error, such as a write hook's refusal.
		return apiErr
	case errors.Is(err, storage.ErrNotFound):
		return s.notFound(name)
	case errors.Is(err, storage.ErrCompacted):
		return apierrors.NewExpired("The resourceVersion for the provided %s is too old: %v", s.kind.Resource, err)
	case errors.As(err, &tooLarge):
		return apierrors.NewRequestEntityTooLarge("%s %q is %d bytes, the limit is %d bytes", s.kind.Kind, name, tooLarge.Size, tooLarge.Limit)
	case errors.Is(err, storage.ErrFutureRevision):
		return apierrors.NewTimeout("Too large resource version: "+err.Error(), 1)
	case errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeout("request did not complete within the allotted timeout: "+err.Error(), 0)
	default:
		return apierrors.NewInternal(err)
	}
}

// GetOptions qualify a Get.
type GetOptions struct {
	// ResourceVersion "" reads the latest state from etcd; "0" may read the watch cache; any other
	// value reads that revision.
	ResourceVersion string
}

// Get returns the named object. The returned object is the caller's to change.
func (s *Store) Get(ctx context.Context, namespace, name string, opts GetOptions) (scheme.Object, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	if opts.ResourceVersion == "0" {
		obj, ok, err := s.cache.Get(ctx, s.key(namespace, name))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, s.notFound(name)
		}
		return cloneObject(obj), nil
	}
	rev, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	kv, err := s.storage.Get(ctx, s.key(namespace, name), rev)
	if err != nil {
		return nil, s.storageErr(name, err)
	}
	return kv.Object, nil
}

// ListOptions qualify a List.
type ListOptions struct {
	LabelSelector string
	FieldSelector string
	// Limit caps the items returned; Continue then resumes after them.
	Limit    int64
	Continue string
	// ResourceVersion "" is a consistent read from etcd; "0" reads the watch cache (Limit is
	// ignored, as Kubernetes does); any other value lists the state at exactly that revision.
	ResourceVersion string
}

// ListResult is a page of a list.
type ListResult struct {
	Items           []scheme.Object
	ResourceVersion string
	Continue        string
}

// continueToken is what a continue string encodes.
type continueToken struct {
	Version int    `json:"v"`
	Rev     int64  `json:"rv"`
	Start   string `json:"start"`
}

func encodeContinue(rev int64, start string) string {
	b, _ := json.Marshal(continueToken{Version: 1, Rev: rev, Start: start})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(s, prefix string) (continueToken, error) {
	var t continueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Version != 1 || t.Rev <= 0 || !strings.HasPrefix(t.Start, prefix) {
		return t, apierrors.NewBadRequest("invalid continue token %q", s)
	}
	return t, nil
}

// List returns the objects of a namespace ("" for all) that the selectors select. Returned objects
// are the caller's to change.
func (s *Store) List(ctx context.Context, namespace string, opts ListOptions) (*ListResult, error) {
	if !s.kind.Namespaced && namespace != "" {
		return nil, s.checkNamespace(namespace)
	}
	pred, err := s.predicate(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return nil, err
	}
	prefix := s.scopePrefix(namespace)
	if opts.ResourceVersion == "0" && opts.Continue == "" {
		objs, rev, err := s.cache.List(ctx, prefix, pred)
		if err != nil {
			return nil, err
		}
		items := make([]scheme.Object, len(objs))
		for i, o := range objs {
			items[i] = cloneObject(o)
		}
		return &ListResult{Items: items, ResourceVersion: strconv.FormatInt(rev, 10)}, nil
	}
	if opts.Limit < 0 {
		return nil, apierrors.NewBadRequest("limit must not be negative (got %d)", opts.Limit)
	}
	rev, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	from := ""
	if opts.Continue != "" {
		if opts.ResourceVersion != "" {
			return nil, apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
		}
		tok, err := decodeContinue(opts.Continue, prefix)
		if err != nil {
			return nil, err
		}
		rev, from = tok.Rev, tok.Start
	}
	res := &ListResult{}
	// Fetch in batches until Limit items match or the range ends; a selective predicate may need
	// several rounds, each reading at the revision of the first so the pages form one snapshot.
	batch := opts.Limit
	for {
		page, err := s.storage.List(ctx, prefix, from, rev, batch)
		if err != nil {
			if opts.Continue != "" && errors.Is(err, storage.ErrCompacted) {
				return nil, apierrors.NewExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
			}
			return nil, s.storageErr("", err)
		}
		if rev == 0 {
			rev = page.Revision
		}
		for i, kv := range page.Items {
			if !s.matches(pred, kv.Object) {
				continue
			}
			res.Items = append(res.Items, kv.Object)
			if opts.Limit > 0 && int64(len(res.Items)) == opts.Limit {
				if i < len(page.Items)-1 || page.More {
					res.Continue = encodeContinue(rev, kv.Key+"\x00")
				}
				res.ResourceVersion = strconv.FormatInt(rev, 10)
				return res, nil
			}
		}
		if !page.More || len(page.Items) == 0 {
			break
		}
		from = page.Items[len(page.Items)-1].Key + "\x00"
		batch = min(batch*2, 10000)
	}
	res.ResourceVersion = strconv.FormatInt(rev, 10)
	return res, nil
}

func (s *Store) matches(p watchcache.Predicate, obj scheme.Object) bool {
	return p.Matches(obj.GetMetadata().GetLabels(), s.strategy.SelectableFields(obj))
}

// WatchOptions qualify a Watch.
type WatchOptions struct {
	LabelSelector string
	FieldSelector string
	// ResourceVersion "" or "0" starts with the current state as ADDED events; any other value
	// delivers every change after it, or fails with Gone when that is too old. With
	// SendInitialEvents, "" reads the state consistently (as of etcd's current revision) and "0"
	// takes the cache's state as it is.
	ResourceVersion   string
	AllowBookmarks    bool
	SendInitialEvents bool
}

// Watch starts a watch of a namespace ("" for all) served by the watch cache. The caller must Stop
// the watcher.
func (s *Store) Watch(ctx context.Context, namespace string, opts WatchOptions) (*watchcache.Watcher, error) {
	if !s.kind.Namespaced && namespace != "" {
		return nil, s.checkNamespace(namespace)
	}
	pred, err := s.predicate(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return nil, err
	}
	rev, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if opts.SendInitialEvents && opts.ResourceVersion == "" {
		// As Kubernetes does for an unset resourceVersion, the initial events are a consistent
		// read: the state as of etcd's current revision, which the cache is waited on to reach,
		// so a write acknowledged before the watch began is among them.
		if rev, err = s.storage.Revision(ctx); err != nil {
			return nil, s.storageErr("", err)
		}
	}
	return s.cache.Watch(ctx, watchcache.WatchOptions{
		Prefix:            s.scopePrefix(namespace),
		Predicate:         pred,
		Revision:          rev,
		SendInitialEvents: opts.SendInitialEvents,
		Bookmarks:         opts.AllowBookmarks || opts.SendInitialEvents,
	})
}
