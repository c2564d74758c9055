package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// magic starts every stored value, so a value that is not Keelson's is recognised at once.
var magic = []byte("kls\x00")

// ErrCorrupt says a stored value is not a Keelson object of a known kind.
var ErrCorrupt = errors.New("stored value is not a known Keelson object")

// Codec encodes objects for storage and decodes them back. It is safe for concurrent use.
type Codec struct {
	scheme *scheme.Scheme
}

// NewCodec returns a codec for the kinds s knows.
func NewCodec(s *scheme.Scheme) Codec {
	return Codec{scheme: s}
}

// Encode returns obj's stored form. resourceVersion is never stored: it is the etcd revision.
// Encode clears it on obj while it marshals and puts it back, so obj must be the caller's own
// copy, not an object others may be reading (such as one shared by the watch cache).
func (c Codec) Encode(obj scheme.Object) ([]byte, error) {
	k, ok := c.scheme.ForObject(obj)
	if !ok {
		return nil, fmt.Errorf("encode %T: kind not registered", obj)
	}
	rv := obj.GetMetadata().GetResourceVersion()
	if rv != "" {
		obj.GetMetadata().ResourceVersion = ""
		defer func() { obj.GetMetadata().ResourceVersion = rv }()
	}
	// Not deterministic: map entries are stored in no fixed order. Nothing compares stored bytes
	// (an update is a no-op when proto.Equal says so), and the fast path costs a fraction.
	raw, err := wire.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", k.Kind, err)
	}
	env, err := wire.Marshal(&metav1.Unknown{
		TypeMeta: &metav1.TypeMeta{ApiVersion: k.APIVersion(), Kind: k.Kind},
		Raw:      raw,
	})
	if err != nil {
		return nil, fmt.Errorf("encode %s envelope: %w", k.Kind, err)
	}
	return append(append(make([]byte, 0, len(magic)+len(env)), magic...), env...), nil
}

// Decode returns the object stored in data.
func (c Codec) Decode(data []byte) (scheme.Object, error) {
	obj, _, err := c.DecodeRaw(data)
	return obj, err
}

// DecodeRaw returns the object stored in data and its message encoding as stored (without a
// resourceVersion), which aliases data.
func (c Codec) DecodeRaw(data []byte) (scheme.Object, []byte, error) {
	if !bytes.HasPrefix(data, magic) {
		return nil, nil, ErrCorrupt
	}
	var env metav1.Unknown
	if err := env.UnmarshalVT(data[len(magic):]); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	gvk := gvkOf(env.GetTypeMeta())
	k, ok := c.scheme.ByKind(gvk)
	if !ok {
		return nil, nil, fmt.Errorf("%w: kind %s %s", ErrCorrupt, env.GetTypeMeta().GetApiVersion(), gvk.Kind)
	}
	obj := k.New()
	if err := wire.Unmarshal(env.GetRaw(), obj); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, k.Kind, err)
	}
	return obj, env.GetRaw(), nil
}

func gvkOf(tm *metav1.TypeMeta) scheme.GroupVersionKind {
	av := tm.GetApiVersion()
	for i := len(av) - 1; i >= 0; i-- {
		if av[i] == '/' {
			return scheme.GroupVersionKind{Group: av[:i], Version: av[i+1:], Kind: tm.GetKind()}
		}
	}
	return scheme.GroupVersionKind{Version: av, Kind: tm.GetKind()}
}
