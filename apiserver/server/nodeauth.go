package server

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/noderestriction"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// buildNodeAuth builds the Node authorizer on a pod graph fed from reg's pod watch cache, and adds
// NodeRestriction admission to reg. NodeRestriction judges only requests that carry a user, which
// only the authenticating front puts in a request's context; the apiserver's own work carries none.
func (s *Server) buildNodeAuth(reg *registry.Registry) (*node.Feed, error) {
	pods, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "pods"})
	if err != nil {
		return nil, fmt.Errorf("node authorizer: %w", err)
	}
	restriction, err := noderestriction.New(reg)
	if err != nil {
		return nil, err
	}
	reg.AddAdmission(restriction)
	graph := node.NewGraph()
	s.mu.Lock()
	s.nodeAuthz = node.New(graph)
	s.mu.Unlock()
	return node.NewFeed(graph, pods, s.lg.Named("node-authorizer")), nil
}

// runNodeFeed keeps the Node authorizer's graph current once the watch caches have loaded.
func (p *parts) runNodeFeed(ctx context.Context) error {
	if err := p.reg.WaitReady(ctx); err != nil {
		return nil
	}
	return p.nodeFeed.Run(ctx)
}

// NodeAuthorizer returns the Node authorizer once Run has built it (nil before): it allows a
// kubelet what its node needs and has no opinion on anything else, so it goes first in the
// authorizer chain (Node,RBAC). Its graph is loaded by the time Ready is closed.
func (s *Server) NodeAuthorizer() authz.Authorizer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodeAuthz == nil {
		return nil
	}
	return s.nodeAuthz
}
