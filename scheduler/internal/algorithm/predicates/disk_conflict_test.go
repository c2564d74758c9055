package predicates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestDiskConflict(t *testing.T) {
	node := fixture.Node("n").Obj()
	tests := []struct {
		name   string
		pod    *corev1.Pod
		placed []*corev1.Pod
		want   string
	}{
		{name: "no volumes", pod: fixture.Pod("p").Obj(), placed: []*corev1.Pod{fixture.Pod("q").HostPath("d", "/data", false).Obj()}},
		{name: "other directory", pod: fixture.Pod("p").HostPath("d", "/logs", false).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPath("d", "/data", false).Obj()}},
		{name: "both read-write", pod: fixture.Pod("p").HostPath("d", "/data", false).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPath("v", "/data/", false).Obj()},
			want:   "hostPath /data already in use (mounted read-write by another pod)"},
		{name: "both read-only share", pod: fixture.Pod("p").HostPath("d", "/data", true).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPath("d", "/data", true).Obj()}},
		{name: "read-only against a writer", pod: fixture.Pod("p").HostPath("d", "/data", true).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPath("d", "/data", false).Obj()},
			want:   "hostPath /data already in use (mounted read-write by another pod)"},
		{name: "writer against readers", pod: fixture.Pod("p").HostPath("d", "/data", false).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPath("d", "/data", true).Obj()},
			want:   "hostPath /data already in use (mounted read-only by another pod)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.DiskConflict{}, tt.pod, node, tt.placed...))
		})
	}
}
