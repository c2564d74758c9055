package wire

import (
	"google.golang.org/protobuf/proto"
)

type vtMarshaler interface {
	MarshalVT() ([]byte, error)
}

type vtUnmarshaler interface {
	UnmarshalVT([]byte) error
}

// Marshal returns m's wire encoding. Like proto.Marshal without Deterministic, map entries come
// in no particular order, so two encodings of one message may differ byte for byte.
func Marshal(m proto.Message) ([]byte, error) {
	if vt, ok := m.(vtMarshaler); ok {
		return vt.MarshalVT()
	}
	return proto.Marshal(m)
}

// Unmarshal decodes b into m, which it resets first, as proto.Unmarshal does. m keeps no reference
// to b.
func Unmarshal(b []byte, m proto.Message) error {
	if vt, ok := m.(vtUnmarshaler); ok {
		proto.Reset(m)
		return vt.UnmarshalVT(b)
	}
	return proto.Unmarshal(b, m)
}

// Clone returns a deep copy of m; a nil m gives a nil copy.
func Clone[T proto.Message](m T) T {
	if vt, ok := any(m).(interface{ CloneMessageVT() proto.Message }); ok {
		return vt.CloneMessageVT().(T)
	}
	return proto.Clone(m).(T)
}
