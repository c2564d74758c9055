package job

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
)

// Name is the job controller's name for --controllers, as kube-controller-manager names it.
const Name = "job"

// NewFromManager builds the Job controller of a controller manager: it records events as
// "job-controller" and uses Kubernetes' pod-failure backoff.
func NewFromManager(ctx *manager.Context) (*Controller, error) {
	return New(ctx.Client, ctx.Informers, ctx.Recorder("job-controller"), ctx.Clock, ctx.Logger, Options{})
}
