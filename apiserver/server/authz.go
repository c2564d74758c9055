package server

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/rbac"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/review"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/run"
)

// authorization is the authorizer chain --authorization-mode builds and the RBAC parts it runs.
type authorization struct {
	// chain asks the modes in order; the first that allows or denies decides.
	chain authz.Authorizer
	// rbac is the RBAC authorizer, nil unless RBAC is a mode.
	rbac *rbac.Authorizer
}

// newAuthorization builds the authorizer chain of the configured modes on reg, and installs what
// it brings into reg: with RBAC, the escalation check on role and binding writes; always, the
// access reviews answered through the chain.
func newAuthorization(modes []string, reg *registry.Registry, nodeAuthz authz.Authorizer) (*authorization, error) {
	az := &authorization{}
	var chain []authz.Authorizer
	for _, m := range modes {
		switch m {
		case ModeAlwaysAllow:
			chain = append(chain, authz.AlwaysAllow)
		case ModeAlwaysDeny:
			chain = append(chain, authz.AlwaysDeny)
		case ModeNode:
			chain = append(chain, nodeAuthz)
		case ModeRBAC:
			az.rbac = rbac.New(reg)
			chain = append(chain, az.rbac)
		default:
			return nil, fmt.Errorf("--authorization-mode: unknown mode %q", m)
		}
	}
	az.chain = authz.Union(chain...)
	var rules review.RuleResolver
	if az.rbac != nil {
		reg.AddAdmission(rbac.NewEscalationCheck(az.chain, reg))
		// A rules review lists RBAC's rules; with another mode in the chain it is incomplete.
		if len(chain) == 1 {
			rules = az.rbac
		}
	}
	if err := review.New(az.chain, rules).Install(reg); err != nil {
		return nil, err
	}
	return az, nil
}

// reconcile writes the bootstrap policy and waits for the RBAC authorizer to have loaded it; it
// does nothing without RBAC. The system namespaces exist by then.
func (az *authorization) reconcile(ctx context.Context, reg *registry.Registry) error {
	if az.rbac == nil {
		return nil
	}
	if err := rbac.Reconcile(ctx, reg); err != nil {
		return fmt.Errorf("reconcile the RBAC bootstrap policy: %w", err)
	}
	return az.rbac.WaitSynced(ctx)
}

// run follows the roles and bindings and keeps aggregated cluster roles up to date until ctx
// ends; it returns at once without RBAC.
func (az *authorization) run(ctx context.Context) error {
	if az.rbac == nil {
		return nil
	}
	return run.Group(ctx, az.rbac.Run, az.rbac.RunAggregation)
}
