package scheme

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Pack wraps obj in an Any.
func Pack(obj Object) (*anypb.Any, error) {
	a, err := anypb.New(obj)
	if err != nil {
		return nil, fmt.Errorf("pack %T: %w", obj, err)
	}
	return a, nil
}

// Unpack decodes a into a new message of the kind its type URL names, which must be registered in s.
func (s *Scheme) Unpack(a *anypb.Any) (Object, *Kind, error) {
	if a == nil {
		return nil, nil, fmt.Errorf("no object")
	}
	k, ok := s.ByMessage(a.MessageName())
	if !ok {
		return nil, nil, fmt.Errorf("unknown object type %q", a.GetTypeUrl())
	}
	obj := k.New()
	if err := proto.Unmarshal(a.GetValue(), obj); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", k.Kind, err)
	}
	return obj, k, nil
}
