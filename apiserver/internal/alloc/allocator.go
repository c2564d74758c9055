package alloc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Errors of an allocation, worded as Kubernetes' allocators word them.
var (
	// ErrFull says every value of the range is taken.
	ErrFull = errors.New("range is full")
	// ErrIPAllocated and ErrPortAllocated say a requested value is taken.
	ErrIPAllocated   = errors.New("provided IP is already allocated")
	ErrPortAllocated = errors.New("provided port is already allocated")
)

// record is the stored form of a range, as Kubernetes' RangeAllocation holds it: the range it
// covers and its bitmap.
type record struct {
	Range string `json:"range"`
	Data  []byte `json:"data"`
}

// Allocator keeps one range's bitmap in an etcd key. Every change is a transaction guarded on the
// key's revision: a change that finds the key changed by another apiserver reads it again and
// applies again. Changes from one Allocator are serialised; it keeps the last bitmap it read or
// wrote, so a change usually costs one transaction. It is safe for concurrent use.
type Allocator struct {
	client *clientv3.Client
	key    string
	// name is the range's text form, stored with the bitmap; a stored bitmap of another range
	// counts as empty until Repair rebuilds it.
	name string
	size int

	mu sync.Mutex
	// cur is the bitmap as of revision rev of the key (0: the key did not exist); nil before the
	// first read.
	cur *Bitmap
	rev int64
}

// NewAllocator returns an allocator of a range of size values called name, stored at key.
func NewAllocator(client *clientv3.Client, key, name string, size int) *Allocator {
	return &Allocator{client: client, key: key, name: name, size: size}
}

// Key returns the etcd key the bitmap is stored at.
func (a *Allocator) Key() string { return a.key }

// Update applies fn to a copy of the current bitmap and stores the result, guarded on the revision
// read; on a conflict it reads again and applies fn again. fn may run several times and must do
// nothing but change the bitmap. An error of fn on a bitmap not read just now is retried on a
// fresh read, since another apiserver may have freed what fn wanted; an error on a fresh bitmap
// is returned as is. When fn leaves the bitmap unchanged nothing is written.
func (a *Allocator) Update(ctx context.Context, fn func(*Bitmap) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh := false
	if a.cur == nil {
		if err := a.load(ctx); err != nil {
			return err
		}
		fresh = true
	}
	for {
		next := a.cur.Clone()
		if err := fn(next); err != nil {
			if fresh {
				return err
			}
			if err := a.load(ctx); err != nil {
				return err
			}
			fresh = true
			continue
		}
		if equalBitmaps(next, a.cur) {
			return nil
		}
		ok, err := a.store(ctx, next, a.rev)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		fresh = true
	}
}

// Snapshot reads the stored bitmap from etcd and returns it with the revision it was read at, for
// Replace.
func (a *Allocator) Snapshot(ctx context.Context) (*Bitmap, int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.load(ctx); err != nil {
		return nil, 0, err
	}
	return a.cur.Clone(), a.rev, nil
}

// Replace stores b if the key is still at revision rev, as Snapshot returned it, and reports
// whether it did.
func (a *Allocator) Replace(ctx context.Context, b *Bitmap, rev int64) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.store(ctx, b, rev)
}

// load reads the key into cur and rev. Called with mu held.
func (a *Allocator) load(ctx context.Context) error {
	resp, err := a.client.Get(ctx, a.key)
	if err != nil {
		return fmt.Errorf("read %s: %w", a.key, err)
	}
	if len(resp.Kvs) == 0 {
		a.cur, a.rev = NewBitmap(a.size), 0
		return nil
	}
	return a.decode(resp.Kvs[0].Value, resp.Kvs[0].ModRevision)
}

// decode sets cur and rev from a stored value. Called with mu held.
func (a *Allocator) decode(value []byte, rev int64) error {
	var r record
	if err := json.Unmarshal(value, &r); err != nil {
		return fmt.Errorf("decode %s: %w", a.key, err)
	}
	a.rev = rev
	if r.Range != a.name {
		a.cur = NewBitmap(a.size)
		return nil
	}
	b, err := LoadBitmap(a.size, r.Data)
	if err != nil {
		return fmt.Errorf("decode %s: %w", a.key, err)
	}
	a.cur = b
	return nil
}

// store writes b if the key is at revision rev and reports whether it did; when it did not, cur
// and rev hold what the key holds now. Called with mu held.
func (a *Allocator) store(ctx context.Context, b *Bitmap, rev int64) (bool, error) {
	value, err := json.Marshal(record{Range: a.name, Data: b.Bytes()})
	if err != nil {
		return false, fmt.Errorf("encode %s: %w", a.key, err)
	}
	resp, err := a.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(a.key), "=", rev)).
		Then(clientv3.OpPut(a.key, string(value))).
		Else(clientv3.OpGet(a.key)).
		Commit()
	if err != nil {
		// The write may have landed: forget the cached bitmap so the next change reads it.
		a.cur = nil
		return false, fmt.Errorf("write %s: %w", a.key, err)
	}
	if resp.Succeeded {
		a.cur, a.rev = b, resp.Header.Revision
		return true, nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 0 {
		a.cur, a.rev = NewBitmap(a.size), 0
		return false, nil
	}
	if err := a.decode(kvs[0].Value, kvs[0].ModRevision); err != nil {
		a.cur = nil
		return false, err
	}
	return false, nil
}

// equalBitmaps reports whether a and b set the same offsets.
func equalBitmaps(a, b *Bitmap) bool {
	if a.size != b.size || a.count != b.count {
		return false
	}
	for i := range a.words {
		if a.words[i] != b.words[i] {
			return false
		}
	}
	return true
}
