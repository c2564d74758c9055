// Package mirror keeps a mirror pod in the API server for each static pod a kubelet runs, as
// Kubernetes' mirror client does: same name and namespace, annotation kubernetes.io/config.mirror
// set to the static pod's hash, owned by the Node. A mirror deleted by someone else is created
// again; a mirror whose hash is stale (the manifest was edited) is deleted and created anew; a
// mirror whose static pod is gone is deleted. Mirrors only show static pods: nothing a mirror
// undergoes stops or changes the static pod itself.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/kubelet/internal/backoff"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// PodClient creates and deletes pods in a namespace; Pods(namespace) of a *client.Client is one.
type PodClient interface {
	Create(ctx context.Context, obj *corev1.Pod, opts ...client.CreateOptions) (*corev1.Pod, error)
	Delete(ctx context.Context, name string, opts ...client.DeleteOptions) error
}

// Config is what a Manager reads its state from.
type Config struct {
	NodeName string
	// Pods returns a client of the API's pods in a namespace.
	Pods func(namespace string) PodClient
	// StaticPods returns the static pods the node runs now.
	StaticPods func() []*corev1.Pod
	// MirrorPods returns the node's mirror pods in the API server as last seen, and whether they
	// have been listed at all (no mirror is deleted before they have).
	MirrorPods func() ([]*corev1.Pod, bool)
	// NodeUID returns the Node's UID, "" while the node is not registered; no mirror is created
	// before it is.
	NodeUID func() string
	// Created, when set, is called with each static pod whose mirror pod the manager created, so
	// that the static pod's status is written to the new object.
	Created func(static *corev1.Pod)
	// Resync is how often the manager reconciles without being triggered (default 10s).
	Resync time.Duration
}

// Manager reconciles mirror pods. Trigger is safe for concurrent use; Run does the work.
type Manager struct {
	cfg     Config
	clock   clock.Clock
	lg      *zap.Logger
	trigger chan struct{}
}

// New returns a Manager; it starts nothing.
func New(cfg Config, clk clock.Clock, lg *zap.Logger) *Manager {
	if cfg.Resync <= 0 {
		cfg.Resync = 10 * time.Second
	}
	return &Manager{cfg: cfg, clock: clk, lg: lg, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a reconcile soon: the static pods or the mirror pods changed.
func (m *Manager) Trigger() {
	select {
	case m.trigger <- struct{}{}:
	default:
	}
}

// ErrNotListed says the node is registered but its mirror pods have not been listed yet.
var ErrNotListed = errors.New("mirror pods not listed yet")

// Run reconciles when triggered and every Resync until ctx ends; after a failed reconcile, or one
// that found the mirror pods not listed yet, it tries again with backoff (200ms doubling to 7s).
// A kubelet that starts before its API server (a self-hosted control plane) registers the node
// moments before its pod informer has listed, and nothing else triggers a reconcile then, so the
// mirrors would wait a whole Resync. It returns nil when ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	retry := backoff.Exponential{Initial: 200 * time.Millisecond, Max: 7 * time.Second}
	for {
		wait := m.cfg.Resync
		if err := m.Reconcile(ctx); err != nil && ctx.Err() == nil {
			wait = retry.Next()
			if !errors.Is(err, ErrNotListed) {
				m.lg.Info("sync mirror pods; retrying", zap.Duration("after", wait), zap.Error(err))
			}
		} else {
			retry.Reset()
		}
		t := m.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-m.trigger:
			t.Stop()
		case <-t.C():
		}
	}
}

// Reconcile makes the mirror pods match the static pods once, and returns every failure. It does
// nothing before the node is registered, and returns ErrNotListed while the node's pods have not
// been listed.
func (m *Manager) Reconcile(ctx context.Context) error {
	uid := m.cfg.NodeUID()
	if uid == "" {
		return nil // not registered yet; the registration triggers us
	}
	mirrors, listed := m.cfg.MirrorPods()
	if !listed {
		return ErrNotListed
	}
	byName := map[string]*corev1.Pod{}
	for _, p := range mirrors {
		if podsource.IsMirror(p) {
			byName[podsource.FullName(p)] = p
		}
	}
	var errs []error
	for _, static := range m.cfg.StaticPods() {
		name := podsource.FullName(static)
		mirror := byName[name]
		delete(byName, name)
		hash := static.GetMetadata().GetAnnotations()[podsource.AnnotationHash]
		if mirror != nil && mirror.GetMetadata().GetDeletionTimestamp() == nil &&
			mirror.GetMetadata().GetAnnotations()[podsource.AnnotationMirror] == hash {
			continue
		}
		if mirror != nil {
			// Stale or being deleted: remove it at once (the static pod goes on running), then
			// create the current one.
			if err := m.delete(ctx, mirror); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := m.create(ctx, static, uid); err != nil {
			errs = append(errs, err)
		}
	}
	for _, orphan := range byName {
		errs = append(errs, m.delete(ctx, orphan))
	}
	return errors.Join(errs...)
}

func (m *Manager) create(ctx context.Context, static *corev1.Pod, nodeUID string) error {
	mirror := Build(static, m.cfg.NodeName, nodeUID)
	_, err := m.cfg.Pods(mirror.Metadata.Namespace).Create(ctx, mirror)
	if apierrors.IsAlreadyExists(err) {
		return nil // our cache is behind; the next reconcile sees it
	}
	if err != nil {
		return fmt.Errorf("create mirror pod %s: %w", podsource.FullName(mirror), err)
	}
	m.lg.Info("mirror pod created", zap.String("pod", podsource.FullName(mirror)))
	if m.cfg.Created != nil {
		m.cfg.Created(static)
	}
	return nil
}

func (m *Manager) delete(ctx context.Context, mirror *corev1.Pod) error {
	zero := int64(0)
	err := m.cfg.Pods(mirror.Metadata.Namespace).Delete(ctx, mirror.Metadata.Name,
		client.DeleteOptions{GracePeriodSeconds: &zero, PreconditionUID: mirror.Metadata.Uid})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("delete mirror pod %s: %w", podsource.FullName(mirror), err)
	}
	m.lg.Info("mirror pod deleted", zap.String("pod", podsource.FullName(mirror)))
	return nil
}

// Build returns the mirror pod of static: a copy without UID, resource version and status,
// annotated with the static pod's hash and owned by the Node.
func Build(static *corev1.Pod, nodeName, nodeUID string) *corev1.Pod {
	p := proto.Clone(static).(*corev1.Pod)
	p.Status = nil
	md := p.Metadata
	md.Uid, md.ResourceVersion, md.CreationTimestamp, md.DeletionTimestamp = "", "", nil, nil
	md.Annotations = maps.Clone(md.Annotations)
	md.Annotations[podsource.AnnotationMirror] = md.Annotations[podsource.AnnotationHash]
	controller := true
	md.OwnerReferences = []*metav1.OwnerReference{{ApiVersion: "v1", Kind: "Node", Name: nodeName, Uid: nodeUID, Controller: &controller}}
	return p
}
