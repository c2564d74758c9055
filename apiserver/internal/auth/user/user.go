// Package user is the identity an authenticated request carries: the name, uid, groups and extra
// attributes Kubernetes' user.Info has, and the well-known names the authorizers match on.
package user

import (
	"context"
	"sync"
)

// Well-known users and groups, spelled as Kubernetes spells them.
const (
	Anonymous          = "system:anonymous"
	AllUnauthenticated = "system:unauthenticated"
	AllAuthenticated   = "system:authenticated"
	// SystemPrivilegedGroup is bound to cluster-admin by the bootstrap policy.
	SystemPrivilegedGroup = "system:masters"
	NodesGroup            = "system:nodes"
	// NodeUserPrefix starts every kubelet's user name: system:node:<node name>.
	NodeUserPrefix        = "system:node:"
	BootstrappersGroup    = "system:bootstrappers"
	ServiceAccountPrefix  = "system:serviceaccount:"
	ServiceAccountsGroup  = "system:serviceaccounts"
	KubeScheduler         = "system:kube-scheduler"
	KubeControllerManager = "system:kube-controller-manager"
	KubeProxy             = "system:kube-proxy"
	// APIServerUser is the identity the apiserver uses for its own calls (its loopback client and
	// the client certificate it shows a kubelet).
	APIServerUser = "system:apiserver"
)

// Info is who made a request.
type Info struct {
	Name   string
	UID    string
	Groups []string
	// Extra holds what an authenticator knows beyond name and groups (for a bound service account
	// token: the pod's name and uid, authentication.kubernetes.io/pod-name and pod-uid).
	Extra map[string][]string
}

// InGroup reports whether u is a member of group.
func (u *Info) InGroup(group string) bool {
	if u == nil {
		return false
	}
	for _, g := range u.Groups {
		if g == group {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying u.
func NewContext(ctx context.Context, u *Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the user ctx carries. A request from outside always carries one (the
// anonymous user at least); a context without one is the apiserver's own work.
func FromContext(ctx context.Context) (*Info, bool) {
	u, ok := ctx.Value(ctxKey{}).(*Info)
	return u, ok && u != nil
}

// Recorder keeps the user a request was authenticated as, for code that wraps authentication —
// the audit log — and so cannot read the user from its own context. It is safe for concurrent use.
type Recorder struct {
	mu sync.Mutex
	u  *Info
}

type recorderKey struct{}

// WithRecorder returns ctx carrying a new Recorder, and the Recorder.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

// RecordAuthenticated tells the Recorder ctx carries, if any, that the request is u's.
func RecordAuthenticated(ctx context.Context, u *Info) {
	if r, ok := ctx.Value(recorderKey{}).(*Recorder); ok {
		r.mu.Lock()
		r.u = u
		r.mu.Unlock()
	}
}

// User returns the recorded user, or nil before authentication (or when it failed).
func (r *Recorder) User() *Info {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.u
}
