package controller

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestEnqueue(t *testing.T) {
	pod := &corev1.Pod{Metadata: &metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	node := &corev1.Node{Metadata: &metav1.ObjectMeta{Name: "node-a"}}
	tests := []struct {
		name string
		call func(q workqueue.Interface[string])
		want string
	}{
		{name: "add", call: func(q workqueue.Interface[string]) { Enqueue[*corev1.Pod](q).OnAdd(pod) }, want: "default/web"},
		{name: "update", call: func(q workqueue.Interface[string]) { Enqueue[*corev1.Pod](q).OnUpdate(pod, pod) }, want: "default/web"},
		{name: "delete", call: func(q workqueue.Interface[string]) { Enqueue[*corev1.Pod](q).OnDelete(pod) }, want: "default/web"},
		{name: "cluster-scoped", call: func(q workqueue.Interface[string]) { Enqueue[*corev1.Node](q).OnAdd(node) }, want: "node-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := workqueue.New[string]()
			tt.call(q)
			tt.call(q)
			require.Equal(t, 1, q.Len(), "a key queued twice is handed out once")
			key, _ := q.Get()
			require.Equal(t, tt.want, key)
			ns, name, err := SplitKey(key)
			require.NoError(t, err)
			require.Equal(t, tt.want, map[bool]string{true: name, false: ns + "/" + name}[ns == ""], "SplitKey undoes the key")
		})
	}
}
