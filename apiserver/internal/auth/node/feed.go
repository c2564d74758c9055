package node

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Pods is what the feed reads pods through: the registry's pod store, served from its watch
// cache. *registry.Store is one.
type Pods interface {
	List(ctx context.Context, namespace string, opts registry.ListOptions) (*registry.ListResult, error)
	Watch(ctx context.Context, namespace string, opts registry.WatchOptions) (*watchcache.Watcher, error)
}

// Feed keeps a Graph current with every pod add, update and delete: it lists the pods, then
// watches from the list's revision, and lists again whenever the watch ends.
type Feed struct {
	graph  *Graph
	pods   Pods
	lg     *zap.Logger
	synced chan struct{}
}

// NewFeed returns a feed of graph from pods. Nothing runs until Run.
func NewFeed(graph *Graph, pods Pods, lg *zap.Logger) *Feed {
	if lg == nil {
		lg = zap.NewNop()
	}
	return &Feed{graph: graph, pods: pods, lg: lg, synced: make(chan struct{})}
}

// Synced is closed once the graph holds a first full list of the pods.
func (f *Feed) Synced() <-chan struct{} { return f.synced }

// Run feeds the graph until ctx ends. A failed list or watch is retried with a backoff of 200 ms
// doubling to 5 s; Run returns only when ctx ends, with nil.
func (f *Feed) Run(ctx context.Context) error {
	backoff := 200 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := f.syncOnce(ctx, &first)
		if ctx.Err() != nil {
			break
		}
		if err == nil {
			backoff = 200 * time.Millisecond
			continue
		}
		f.lg.Warn("node authorizer graph: pod list or watch failed", zap.Error(err))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return nil
}

// syncOnce lists the pods into the graph and applies the watch's events until the watch ends.
// It returns nil when the watch ended as watches do (cut off, cache reset) and a relist is due.
func (f *Feed) syncOnce(ctx context.Context, first *bool) error {
	// A consistent list, so the graph holds at least every pod written before the feed started.
	list, err := f.pods.List(ctx, "", registry.ListOptions{})
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for _, obj := range list.Items {
		if p, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, p)
		}
	}
	f.graph.Replace(pods)
	if *first {
		*first = false
		close(f.synced)
	}
	w, err := f.pods.Watch(ctx, "", registry.WatchOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return fmt.Errorf("watch pods: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Events():
			if !ok {
				if err := w.Err(); err != nil {
					f.lg.Info("node authorizer graph: pod watch ended, listing again", zap.Error(err))
				}
				return nil
			}
			f.apply(e)
		}
	}
}

func (f *Feed) apply(e *watchcache.Event) {
	pod, ok := e.Object.(*corev1.Pod)
	if !ok {
		return
	}
	switch e.Type {
	case watchcache.Added, watchcache.Modified:
		f.graph.SetPod(pod)
	case watchcache.Deleted:
		f.graph.DeletePod(pod.GetMetadata().GetNamespace(), pod.GetMetadata().GetName())
	}
}
