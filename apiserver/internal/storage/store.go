package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/storage/mvcc"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

var (
	// ErrNotFound says the key does not exist.
	ErrNotFound = errors.New("key not found")
	// ErrExists says a create found the key taken.
	ErrExists = errors.New("key already exists")
	// ErrConflict says a guarded write found the key at another revision.
	ErrConflict = errors.New("key modified since read")
	// ErrCompacted says the requested revision has been compacted away.
	ErrCompacted = errors.New("revision compacted")
	// ErrFutureRevision says the requested revision is newer than the store.
	ErrFutureRevision = errors.New("revision not yet reached")
	// ErrTooLarge says an encoded object exceeds the store's size limit; see TooLargeError.
	ErrTooLarge = errors.New("object too large to store")
)

// TooLargeError says how large an encoded object is and what the limit is.
type TooLargeError struct{ Size, Limit int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("encoded object is %d bytes, the limit is %d bytes", e.Size, e.Limit)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// KV is one stored object with the revision that last wrote it.
type KV struct {
	Key    string
	Object scheme.Object
	// ModRevision is the object's resourceVersion.
	ModRevision int64
	// Stale says the value was not written the way the store writes now (by an encryption
	// provider other than the first): an update should store it anew even when nothing changed.
	Stale bool
}

// Transformer turns an encoded object into the value etcd stores at key, and back (encryption at
// rest). Implementations are safe for concurrent use.
type Transformer interface {
	// TransformToStorage returns the value to store for data at key.
	TransformToStorage(key string, data []byte) ([]byte, error)
	// TransformFromStorage returns the encoded object a stored value holds, and whether the value
	// is stale: not what TransformToStorage would write now.
	TransformFromStorage(key string, value []byte) (data []byte, stale bool, err error)
}

// Store reads and writes objects in etcd. It is safe for concurrent use; the caller owns the client.
type Store struct {
	client   *clientv3.Client
	codec    Codec
	maxValue int
	local    mvcc.WatchableKV
	// transformer, when set, is applied to every value written and read.
	transformer Transformer
	// writes holds a token per transaction in flight when writes are bounded.
	writes chan struct{}
}

// Options tune a Store.
type Options struct {
	// MaxValue bounds the size of an encoded object (0: no limit of the store's own; etcd's
	// request limit still applies).
	MaxValue int
	// MaxWritesInFlight bounds the write transactions the store has open at once (0: no bound);
	// further writes wait their turn. etcd applies the writes it has in hand as one batch, and a
	// batch pushes one response per write into each watch stream's 128-slot buffer: kept well under
	// that, a burst of writes cannot overflow the watch caches' etcd watches (see Store.Watch). In
	// the benchmarks a bound of 32 costs creates a few percent at most.
	MaxWritesInFlight int
	// Local is the store of an etcd member running in this process, which client also reaches:
	// watches then read it directly rather than through the client.
	Local mvcc.WatchableKV
	// Transformer, when set, turns every encoded object into its stored value and back.
	Transformer Transformer
}

// New returns a store on client.
func New(client *clientv3.Client, codec Codec, opts Options) *Store {
	s := &Store{client: client, codec: codec, maxValue: opts.MaxValue, local: opts.Local, transformer: opts.Transformer}
	if opts.MaxWritesInFlight > 0 {
		s.writes = make(chan struct{}, opts.MaxWritesInFlight)
	}
	return s
}

// commit runs the transaction build makes, within the bound on writes in flight.
func (s *Store) commit(ctx context.Context, build func(clientv3.Txn) clientv3.Txn) (*clientv3.TxnResponse, error) {
	if s.writes != nil {
		select {
		case s.writes <- struct{}{}:
			defer func() { <-s.writes }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp, err := build(s.client.Txn(ctx)).Commit()
	if err != nil && ctx.Err() != nil {
		// etcd may answer a request whose deadline passed with its own "request timed out":
		// the caller's deadline is what ended it.
		return nil, fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return resp, err
}

// encode encodes obj for key, enforcing the size limit on the bytes that will be stored.
func (s *Store) encode(key string, obj scheme.Object) ([]byte, error) {
	data, err := s.codec.Encode(obj)
	if err != nil {
		return nil, err
	}
	if s.transformer != nil {
		if data, err = s.transformer.TransformToStorage(key, data); err != nil {
			return nil, err
		}
	}
	if s.maxValue > 0 && len(data) > s.maxValue {
		return nil, &TooLargeError{Size: len(data), Limit: s.maxValue}
	}
	return data, nil
}

// Client returns the etcd client the store uses.
func (s *Store) Client() *clientv3.Client { return s.client }

// Codec returns the store's codec.
func (s *Store) Codec() Codec { return s.codec }

// DecodeRaw returns the object a value stored at key holds, as Codec.DecodeRaw does, after
// decrypting it: the one way to read a value taken from etcd, such as a watch event's.
func (s *Store) DecodeRaw(key string, value []byte) (scheme.Object, []byte, error) {
	obj, raw, _, err := s.decodeValue(key, value)
	return obj, raw, err
}

// decodeValue decrypts and decodes value, stored at key, and says whether it is stale.
func (s *Store) decodeValue(key string, value []byte) (obj scheme.Object, raw []byte, stale bool, err error) {
	if s.transformer != nil {
		if value, stale, err = s.transformer.TransformFromStorage(key, value); err != nil {
			return nil, nil, false, err
		}
	}
	obj, raw, err = s.codec.DecodeRaw(value)
	return obj, raw, stale, err
}

func setRV(obj scheme.Object, rev int64) {
	scheme.Meta(obj).ResourceVersion = strconv.FormatInt(rev, 10)
}

// Create stores obj at key if the key is free and returns the revision it was written at, with obj's
// resourceVersion set to it.
func (s *Store) Create(ctx context.Context, key string, obj scheme.Object) (int64, error) {
	data, err := s.encode(key, obj)
	if err != nil {
		return 0, err
	}
	resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
		return txn.If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(data)))
	})
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	if !resp.Succeeded {
		return 0, ErrExists
	}
	setRV(obj, resp.Header.Revision)
	return resp.Header.Revision, nil
}

// Get returns the object at key as of revision rev (0 for the latest).
func (s *Store) Get(ctx context.Context, key string, rev int64) (KV, error) {
	opts := []clientv3.OpOption{}
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	resp, err := s.client.Get(ctx, key, opts...)
	if err != nil {
		return KV{}, mapErr(fmt.Errorf("get %s: %w", key, err))
	}
	if len(resp.Kvs) == 0 {
		return KV{}, ErrNotFound
	}
	return s.decode(resp.Kvs[0].Key, resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

func (s *Store) decode(key, value []byte, rev int64) (KV, error) {
	obj, _, stale, err := s.decodeValue(string(key), value)
	if err != nil {
		return KV{}, fmt.Errorf("decode %s: %w", key, err)
	}
	setRV(obj, rev)
	return KV{Key: string(key), Object: obj, ModRevision: rev, Stale: stale}, nil
}

// Page is one page of a range read.
type Page struct {
	Items []KV
	// Revision is the store revision the page was read at.
	Revision int64
	// More says keys remain after the last item.
	More bool
}

// List reads up to limit objects (0 for all) whose keys start with prefix and are >= from (from
// "" starts at prefix), as of revision rev (0 for the latest).
func (s *Store) List(ctx context.Context, prefix, from string, rev, limit int64) (Page, error) {
	if from == "" {
		from = prefix
	}
	opts := []clientv3.OpOption{clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix))}
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(limit))
	}
	resp, err := s.client.Get(ctx, from, opts...)
	if err != nil {
		return Page{}, mapErr(fmt.Errorf("list %s: %w", prefix, err))
	}
	page := Page{Revision: resp.Header.Revision, More: resp.More, Items: make([]KV, 0, len(resp.Kvs))}
	for _, kv := range resp.Kvs {
		item, err := s.decode(kv.Key, kv.Value, kv.ModRevision)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, item)
	}
	return page, nil
}

// Update replaces the object at key with obj if the key is still at revision expect. On ErrConflict
// the returned KV holds the current object (or ErrNotFound when it is gone).
func (s *Store) Update(ctx context.Context, key string, obj scheme.Object, expect int64) (KV, error) {
	data, err := s.encode(key, obj)
	if err != nil {
		return KV{}, err
	}
	resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
		return txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", expect)).
			Then(clientv3.OpPut(key, string(data))).
			Else(clientv3.OpGet(key))
	})
	if err != nil {
		return KV{}, fmt.Errorf("update %s: %w", key, err)
	}
	if !resp.Succeeded {
		return s.current(resp)
	}
	setRV(obj, resp.Header.Revision)
	return KV{Key: key, Object: obj, ModRevision: resp.Header.Revision}, nil
}

// Delete removes the object at key if it is still at revision expect, returning the store revision
// of the delete. On ErrConflict the returned KV holds the current object.
func (s *Store) Delete(ctx context.Context, key string, expect int64) (int64, KV, error) {
	resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
		return txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", expect)).
			Then(clientv3.OpDelete(key)).
			Else(clientv3.OpGet(key))
	})
	if err != nil {
		return 0, KV{}, fmt.Errorf("delete %s: %w", key, err)
	}
	if !resp.Succeeded {
		kv, err := s.current(resp)
		return 0, kv, err
	}
	return resp.Header.Revision, KV{}, nil
}

// current decodes the object a failed guarded transaction read in its else branch.
func (s *Store) current(resp *clientv3.TxnResponse) (KV, error) {
	if len(resp.Responses) == 0 || len(resp.Responses[0].GetResponseRange().GetKvs()) == 0 {
		return KV{}, ErrNotFound
	}
	kv := resp.Responses[0].GetResponseRange().GetKvs()[0]
	cur, err := s.decode(kv.Key, kv.Value, kv.ModRevision)
	if err != nil {
		return KV{}, err
	}
	return cur, ErrConflict
}

// Revision returns the store's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	// A Get of a key that never exists is the cheapest read that carries the header revision.
	resp, err := s.client.Get(ctx, "\x00keelson/revision", clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return resp.Header.Revision, nil
}

func mapErr(err error) error {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("%w: %w", ErrCompacted, err)
	case errors.Is(err, rpctypes.ErrFutureRev):
		return fmt.Errorf("%w: %w", ErrFutureRevision, err)
	}
	return err
}
