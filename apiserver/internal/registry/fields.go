package registry

import (
	"encoding/json"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// fieldManagers builds, on first use, a structured-merge-diff field manager per kind from the
// schemas of Kubernetes' own types, so server-side apply merges lists by their keys and tracks
// field owners exactly as Kubernetes does. It is safe for concurrent use.
type fieldManagers struct {
	once   sync.Once
	tc     managedfields.TypeConverter
	mu     sync.Mutex
	byKind map[schema.GroupVersionKind]*managedfields.FieldManager
}

// forKind returns the field manager of kind k.
func (f *fieldManagers) forKind(k *scheme.Kind) (*managedfields.FieldManager, error) {
	f.once.Do(func() {
		f.tc = applyconfigurations.NewTypeConverter(kubejson.Scheme())
		f.byKind = map[schema.GroupVersionKind]*managedfields.FieldManager{}
	})
	gvk := schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fm, ok := f.byKind[gvk]; ok {
		return fm, nil
	}
	sch := kubejson.Scheme()
	fm, err := managedfields.NewDefaultFieldManager(f.tc, sch, sch, sch, gvk, gvk.GroupVersion(), "", nil)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	f.byKind[gvk] = fm
	return fm, nil
}

// ManagerFromUserAgent is the field manager a write that names none is recorded under: as
// Kubernetes defaults it, the client's User-Agent up to its first "/" (a gRPC client's own suffix,
// " grpc-go/1.x", goes first).
func ManagerFromUserAgent(ua string) string {
	ua, _, _ = strings.Cut(ua, " grpc-go/")
	ua, _, _ = strings.Cut(ua, "/")
	const maxLen = 128
	if len(ua) > maxLen {
		ua = ua[:maxLen]
	}
	return ua
}

// trackUpdate records, in next's metadata.managedFields, that manager set the fields it changed
// from cur (nil for a create), as Kubernetes records every write that is not an apply, so that a
// later apply sees who owns what. Kinds without a Kubernetes type record nothing. A write with no
// manager records nothing either, and keeps cur's managedFields when next carries none; the REST
// edge always names one (the user agent by default), gRPC clients when they ask to be tracked.
func (s *Store) trackUpdate(cur, next scheme.Object, manager string) error {
	if manager == "" {
		if cur != nil && len(scheme.Meta(next).GetManagedFields()) == 0 {
			scheme.Meta(next).ManagedFields = scheme.Meta(cur).GetManagedFields()
		}
		return nil
	}
	if _, ok := kubejson.NewTyped(s.kind); !ok {
		return nil
	}
	fm, err := s.registry.fields.forKind(s.kind)
	if err != nil {
		return err
	}
	live, err := kubejson.ToTyped(s.kind, cur)
	if err != nil {
		return err
	}
	nt, err := kubejson.ToTyped(s.kind, next)
	if err != nil {
		return err
	}
	mf, err := managedFieldsOf(fm.UpdateNoErrors(live, nt, manager))
	if err != nil {
		return err
	}
	scheme.Meta(next).ManagedFields = mf
	return nil
}

// managedFieldsOf returns the managedFields of a Kubernetes object as Keelson's.
func managedFieldsOf(obj runtime.Object) ([]*metav1.ManagedFieldsEntry, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	b, err := json.Marshal(map[string]any{"managedFields": acc.GetManagedFields()})
	var m map[string]any
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	out := &metav1.ObjectMeta{}
	if err := kubejson.MapToMessage(m, out, kubejson.DecodeOptions{}); err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return out.GetManagedFields(), nil
}
