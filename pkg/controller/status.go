package controller

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// UpdateStatus writes the status a reconcile computed for obj: it sends withStatus(obj) to the
// status subresource and, when that conflicts with a newer write, reads the object once more and
// sends withStatus(latest) — the status is the controller's own, so the latest spec and metadata
// are kept and only the status replaced. withStatus returns a copy of its base carrying the
// status; it should cap the status's observedGeneration at the base's generation, so a status
// computed from an older spec never claims to have seen a newer one. An object that is gone, or
// replaced by another of the same name, needs no status: UpdateStatus returns nil for it.
func UpdateStatus[T scheme.Object](ctx context.Context, res *client.Resource[T], obj T, withStatus func(base T) T) error {
	_, err := res.UpdateStatus(ctx, withStatus(obj))
	if apierrors.IsConflict(err) {
		var latest T
		latest, err = res.Get(ctx, obj.GetMetadata().GetName())
		if err == nil && latest.GetMetadata().GetUid() != obj.GetMetadata().GetUid() {
			return nil
		}
		if err == nil {
			_, err = res.UpdateStatus(ctx, withStatus(latest))
		}
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
