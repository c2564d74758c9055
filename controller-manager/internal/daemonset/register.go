package daemonset

import "github.com/keelson-dev/keelson/controller-manager/internal/manager"

// Name is the DaemonSet controller's name for --controllers, as kube-controller-manager names it.
const Name = "daemonset"

// NewFromManager builds the DaemonSet controller of a controller manager; it records events as
// "daemonset-controller".
func NewFromManager(ctx *manager.Context) (*Controller, error) {
	return New(ctx.Client, ctx.Informers, ctx.Recorder("daemonset-controller"), ctx.Clock, ctx.Logger)
}
