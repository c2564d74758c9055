package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// PodTracker records every pod ever created in a namespace under a label selector, from a watch
// that resumes at the last resource version it saw whenever its apiserver goes away, so that a
// pod created twice and then deleted again is still counted.
type PodTracker struct {
	Client    *client.Client
	Namespace string
	Selector  string

	mu      sync.Mutex
	created map[string]bool // pod UIDs
	rv      string
}

// Run lists the pods once, then watches until ctx ends. It returns an error when the history
// cannot be followed: the apiserver no longer holds the resource version to resume from.
func (p *PodTracker) Run(ctx context.Context) error {
	p.mu.Lock()
	p.created = map[string]bool{}
	p.mu.Unlock()
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-retry.C:
		}
		retry.Reset(100 * time.Millisecond)
		if p.rv == "" {
			list, err := p.Client.Pods(p.Namespace).List(ctx, client.ListOptions{LabelSelector: p.Selector})
			if err != nil {
				continue
			}
			p.mu.Lock()
			for _, pod := range list.Items {
				p.created[pod.GetMetadata().GetUid()] = true
			}
			p.rv = list.ResourceVersion
			p.mu.Unlock()
		}
		w, err := p.Client.Pods(p.Namespace).Watch(ctx, client.ListOptions{LabelSelector: p.Selector, ResourceVersion: p.rv, AllowBookmarks: true})
		if err == nil {
			for ev := range w.Events() {
				p.mu.Lock()
				if ev.Type == client.Added {
					p.created[ev.Object.GetMetadata().GetUid()] = true
				}
				p.rv = ev.Object.GetMetadata().GetResourceVersion()
				p.mu.Unlock()
			}
			err = w.Err()
			w.Stop()
		}
		if apierrors.IsGone(err) {
			return fmt.Errorf("pod history lost: resuming at resource version %s: %w", p.rv, err)
		}
	}
}

// Created returns how many distinct pods were ever created.
func (p *PodTracker) Created() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.created)
}

// ownedPods splits the pods of a ReplicaSet (owned by uid) into live and terminating ones.
func ownedPods(pods []*corev1.Pod, uid string) (live, terminating []*corev1.Pod) {
	for _, pod := range pods {
		owned := false
		for _, o := range pod.GetMetadata().GetOwnerReferences() {
			owned = owned || (o.GetUid() == uid && o.GetController())
		}
		switch {
		case !owned:
		case pod.GetMetadata().GetDeletionTimestamp() != nil:
			terminating = append(terminating, pod)
		default:
			live = append(live, pod)
		}
	}
	return live, terminating
}
