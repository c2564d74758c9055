package events

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Sink stores events; ClientSink stores them through the API.
type Sink interface {
	// Create creates ev.
	Create(ctx context.Context, ev *corev1.Event) (*corev1.Event, error)
	// Patch applies a JSON merge patch to the named event. Its error satisfies
	// apierrors.IsNotFound when the event is gone.
	Patch(ctx context.Context, namespace, name string, patch []byte) (*corev1.Event, error)
}

// ClientSink is a Sink over a Keelson client.
type ClientSink struct{ Client *client.Client }

var _ Sink = ClientSink{}

// Create implements Sink.
func (s ClientSink) Create(ctx context.Context, ev *corev1.Event) (*corev1.Event, error) {
	return s.Client.Events(ev.GetMetadata().GetNamespace()).Create(ctx, ev)
}

// Patch implements Sink.
func (s ClientSink) Patch(ctx context.Context, namespace, name string, patch []byte) (*corev1.Event, error) {
	return s.Client.Events(namespace).Patch(ctx, name, client.MergePatch, patch)
}
