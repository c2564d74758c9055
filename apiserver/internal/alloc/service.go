package alloc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// releaseTimeout bounds giving values back after a write; what it misses, Repair frees.
const releaseTimeout = 10 * time.Second

// Services allocates Services' cluster IPs and node ports around their writes: it is the
// registry's WriteHook for services. It is safe for concurrent use.
type Services struct {
	IPs       *Allocator
	IPRange   IPRange
	Ports     *Allocator
	PortRange PortRange
	Logger    *zap.Logger
}

var _ registry.WriteHook = (*Services)(nil)

// holdings is what one Service holds: a cluster IP offset (-1 for none) and node port offsets.
type holdings struct {
	ip    int
	ports map[int]bool
}

// Reserve gives obj a cluster IP and node ports: those it asks for when free and in range,
// otherwise free ones; with old, what old holds stays held. The IP family fields are set as
// Kubernetes sets them on a single-stack cluster.
func (s *Services) Reserve(ctx context.Context, obj, old scheme.Object) (registry.Settle, error) {
	svc := obj.(*corev1.Service)
	if svc.Spec == nil {
		svc.Spec = &corev1.ServiceSpec{}
	}
	if err := s.setFamilies(svc); err != nil {
		return nil, err
	}
	var had holdings
	if old != nil {
		had = s.held(old.(*corev1.Service))
	} else {
		had = holdings{ip: -1}
	}
	took, err := s.takeIP(ctx, svc, had)
	if err != nil {
		return nil, err
	}
	tookPorts, err := s.takePorts(ctx, svc, had)
	if err != nil {
		s.giveBack(ctx, took, nil)
		return nil, err
	}
	return func(ctx context.Context, stored bool) {
		if !stored {
			s.giveBack(ctx, took, tookPorts)
			return
		}
		now := s.held(svc)
		ip := -1
		if had.ip >= 0 && had.ip != now.ip {
			ip = had.ip
		}
		var ports []int
		for p := range had.ports {
			if !now.ports[p] {
				ports = append(ports, p)
			}
		}
		s.giveBack(ctx, ip, ports)
	}, nil
}

// Released gives back what a deleted Service held.
func (s *Services) Released(ctx context.Context, obj scheme.Object) {
	h := s.held(obj.(*corev1.Service))
	ports := make([]int, 0, len(h.ports))
	for p := range h.ports {
		ports = append(ports, p)
	}
	s.giveBack(ctx, h.ip, ports)
}

// wantsIP reports whether a Service of spec has a cluster IP: every type but ExternalName, unless
// headless.
func wantsIP(spec *corev1.ServiceSpec) bool {
	return spec.GetType() != "ExternalName" && spec.GetClusterIp() != "None"
}

// wantsNodePorts reports whether a Service of spec has node ports: NodePort, and LoadBalancer
// unless allocateLoadBalancerNodePorts is false.
func wantsNodePorts(spec *corev1.ServiceSpec) bool {
	switch spec.GetType() {
	case "NodePort":
		return true
	case "LoadBalancer":
		return spec.AllocateLoadBalancerNodePorts == nil || spec.GetAllocateLoadBalancerNodePorts()
	}
	return false
}

// held returns what a stored Service holds in the ranges.
func (s *Services) held(svc *corev1.Service) holdings {
	h := holdings{ip: -1, ports: map[int]bool{}}
	spec := svc.GetSpec()
	if wantsIP(spec) {
		if ip, err := netip.ParseAddr(spec.GetClusterIp()); err == nil {
			if i, ok := s.IPRange.Offset(ip); ok {
				h.ip = i
			}
		}
	}
	for _, p := range nodePortsOf(spec) {
		if i, ok := s.PortRange.Offset(p); ok {
			h.ports[i] = true
		}
	}
	return h
}

// nodePortsOf returns the node ports spec's ports name.
func nodePortsOf(spec *corev1.ServiceSpec) []int {
	var out []int
	for _, p := range spec.GetPorts() {
		if p.GetNodePort() != 0 {
			out = append(out, int(p.GetNodePort()))
		}
	}
	return out
}

// setFamilies sets ipFamilies and ipFamilyPolicy as Kubernetes does on a single-stack cluster of
// the range's family, and refuses a family or policy the cluster cannot serve.
func (s *Services) setFamilies(svc *corev1.Service) error {
	spec := svc.Spec
	if spec.GetType() == "ExternalName" {
		return nil
	}
	p := field.NewPath("spec")
	family := s.IPRange.Family()
	var errs field.ErrorList
	for i, f := range spec.GetIpFamilies() {
		if f != family {
			errs = append(errs, field.Invalid(p.Child("ipFamilies").Index(i), f, "not configured on this cluster"))
		}
	}
	if spec.GetIpFamilyPolicy() == "RequireDualStack" {
		errs = append(errs, field.Invalid(p.Child("ipFamilyPolicy"), "RequireDualStack", "this cluster is not configured for dual-stack services"))
	}
	if len(errs) > 0 {
		return invalid(svc, errs)
	}
	if len(spec.IpFamilies) == 0 {
		spec.IpFamilies = []string{family}
	}
	if spec.IpFamilyPolicy == nil {
		spec.IpFamilyPolicy = proto.String("SingleStack")
	}
	return nil
}

// takeIP gives svc a cluster IP unless it has no use for one or keeps the one it had, and returns
// the offset it took (-1 for none).
func (s *Services) takeIP(ctx context.Context, svc *corev1.Service, had holdings) (int, error) {
	spec := svc.Spec
	if !wantsIP(spec) {
		if spec.GetClusterIp() == "None" {
			spec.ClusterIps = []string{"None"}
		}
		return -1, nil
	}
	path := field.NewPath("spec", "clusterIPs")
	if spec.ClusterIp == "" && len(spec.ClusterIps) > 0 {
		spec.ClusterIp = spec.ClusterIps[0]
	}
	if c := spec.GetClusterIp(); c != "" {
		ip, err := netip.ParseAddr(c)
		if err != nil {
			return -1, invalid(svc, field.ErrorList{field.Invalid(path, spec.GetClusterIps(), "must be a valid IP address")})
		}
		i, ok := s.IPRange.Offset(ip)
		if !ok {
			return -1, invalid(svc, field.ErrorList{field.Invalid(path, spec.GetClusterIps(),
				fmt.Sprintf("failed to allocate IP %s: provided IP is not in the valid range. The range of valid IPs is %s", c, s.IPRange))})
		}
		spec.ClusterIps = []string{c}
		if i == had.ip {
			return -1, nil
		}
		err = s.IPs.Update(ctx, func(b *Bitmap) error {
			if !b.Set(i) {
				return ErrIPAllocated
			}
			return nil
		})
		if errors.Is(err, ErrIPAllocated) {
			return -1, invalid(svc, field.ErrorList{field.Invalid(path, spec.GetClusterIps(), fmt.Sprintf("failed to allocate IP %s: %v", c, err))})
		}
		if err != nil {
			return -1, apierrors.NewInternal(fmt.Errorf("failed to allocate IP %s: %w", c, err))
		}
		return i, nil
	}
	var got int
	err := s.IPs.Update(ctx, func(b *Bitmap) error {
		i, ok := b.NextFree(rand.IntN(b.Size()))
		if !ok || !b.Set(i) {
			return ErrFull
		}
		got = i
		return nil
	})
	if err != nil {
		return -1, apierrors.NewInternal(fmt.Errorf("failed to allocate a serviceIP: %w", err))
	}
	ip := s.IPRange.Addr(got).String()
	spec.ClusterIp, spec.ClusterIps = ip, []string{ip}
	return got, nil
}

// takePorts gives svc's ports the node ports they ask for, and free ones to those that ask for
// none, in one change of the bitmap; it returns the offsets it took. A port that keeps what it had
// takes nothing; the same node port named by two ports (of different protocols) is taken once.
func (s *Services) takePorts(ctx context.Context, svc *corev1.Service, had holdings) ([]int, error) {
	spec := svc.Spec
	if !wantsNodePorts(spec) {
		return nil, nil
	}
	var errs field.ErrorList
	want := map[int]*field.Path{}
	for i, p := range spec.GetPorts() {
		np := int(p.GetNodePort())
		if np == 0 {
			continue
		}
		path := field.NewPath("spec", "ports").Index(i).Child("nodePort")
		off, ok := s.PortRange.Offset(np)
		if !ok {
			errs = append(errs, field.Invalid(path, np,
				"provided port is not in the valid range. The range of valid ports is "+s.PortRange.String()))
			continue
		}
		if !had.ports[off] {
			want[off] = path
		}
	}
	if len(errs) > 0 {
		return nil, invalid(svc, errs)
	}
	var took []int
	var taken field.ErrorList
	err := s.Ports.Update(ctx, func(b *Bitmap) error {
		took, taken = took[:0], nil
		for off, path := range want {
			if !b.Set(off) {
				taken = append(taken, field.Invalid(path, s.PortRange.Base+off, ErrPortAllocated.Error()))
			}
			took = append(took, off)
		}
		if len(taken) > 0 {
			return ErrPortAllocated
		}
		for _, p := range spec.GetPorts() {
			if p.GetNodePort() != 0 {
				continue
			}
			off, ok := b.NextFree(rand.IntN(b.Size()))
			if !ok || !b.Set(off) {
				return ErrFull
			}
			took = append(took, off)
		}
		return nil
	})
	switch {
	case errors.Is(err, ErrPortAllocated):
		return nil, invalid(svc, taken)
	case err != nil:
		return nil, apierrors.NewInternal(fmt.Errorf("failed to allocate a nodePort: %w", err))
	}
	next := took[len(want):]
	for _, p := range spec.GetPorts() {
		if p.GetNodePort() == 0 {
			p.NodePort = int32(s.PortRange.Base + next[0])
			next = next[1:]
		}
	}
	return took, nil
}

// giveBack frees an IP offset (-1 for none) and port offsets. A failure is logged: the values stay
// marked until Repair finds no Service holds them.
func (s *Services) giveBack(ctx context.Context, ip int, ports []int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if ip >= 0 {
		if err := s.IPs.Update(ctx, func(b *Bitmap) error { b.Clear(ip); return nil }); err != nil {
			s.Logger.Warn("release service IP; repair will free it", zap.Stringer("ip", s.IPRange.Addr(ip)), zap.Error(err))
		}
	}
	if len(ports) > 0 {
		err := s.Ports.Update(ctx, func(b *Bitmap) error {
			for _, p := range ports {
				b.Clear(p)
			}
			return nil
		})
		if err != nil {
			s.Logger.Warn("release node ports; repair will free them", zap.Ints("offsets", ports), zap.Error(err))
		}
	}
}

// invalid returns the Invalid error of svc for errs.
func invalid(svc *corev1.Service, errs field.ErrorList) error {
	causes := make([]apierrors.Cause, 0, len(errs))
	for _, e := range errs {
		causes = append(causes, apierrors.Cause{Type: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
	}
	return apierrors.NewInvalid("", "Service", svc.GetMetadata().GetName(), causes)
}
