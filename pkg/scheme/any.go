package scheme

import (
	"fmt"

	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/wire"
)

// typeURLPrefix is the type URL prefix anypb.New uses.
const typeURLPrefix = "type.googleapis.com/"

// Pack wraps obj in an Any, as anypb.New does, encoding it through its generated fast path.
func Pack(obj Object) (*anypb.Any, error) {
	b, err := wire.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("pack %T: %w", obj, err)
	}
	return &anypb.Any{TypeUrl: typeURLPrefix + string(obj.ProtoReflect().Descriptor().FullName()), Value: b}, nil
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
	if err := wire.Unmarshal(a.GetValue(), obj); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", k.Kind, err)
	}
	return obj, k, nil
}
