package registry

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// admitTolerations adds the default not-ready and unreachable tolerations to a pod being created,
// when the registry is configured with them.
func (s *Store) admitTolerations(obj scheme.Object) {
	if d := s.registry.cfg.DefaultTolerationSeconds; d != nil {
		if pod, ok := obj.(*corev1.Pod); ok {
			d.Default(pod)
		}
	}
}
