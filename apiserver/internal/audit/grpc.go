package audit

import (
	"context"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Unary returns the interceptor that records an event per unary call, once it has returned. Its
// requestURI is the call's full method; its response code is the HTTP code of the Kubernetes
// Status the call's error carries (200 without one).
func (l *Logger) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ev := l.grpcEvent(ctx, info.FullMethod)
		ev.Verb, ev.ObjectRef = grpcRequest(info.FullMethod, req)
		ctx, ev.rec = user.WithRecorder(ctx)
		resp, err := handler(ctx, req)
		l.emit(l.at(ev, StageResponseComplete, grpcStatus(err)))
		return resp, err
	}
}

// Stream returns the interceptor that records an event per stream once it ends, described by its
// first request message; a Watch also gets ResponseStarted once it sends its first message.
func (l *Logger) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ev := l.grpcEvent(ss.Context(), info.FullMethod)
		ev.Verb, ev.ObjectRef = grpcRequest(info.FullMethod, nil)
		var ctx context.Context
		ctx, ev.rec = user.WithRecorder(ss.Context())
		as := &auditedStream{ServerStream: ss, ctx: ctx, l: l, ev: ev, method: info.FullMethod}
		err := handler(srv, as)
		l.emit(l.at(as.ev, StageResponseComplete, grpcStatus(err)))
		return err
	}
}

func (l *Logger) grpcEvent(ctx context.Context, method string) *Event {
	ev := l.newEvent(ctx, l.cfg.Clock.Now())
	ev.RequestURI = method
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
			ev.SourceIPs = []string{host}
		}
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if ua := md.Get("user-agent"); len(ua) > 0 {
			ev.UserAgent = ua[0]
		}
	}
	return ev
}

// grpcStatus returns the response status of a call that returned err.
func grpcStatus(err error) *ResponseStatus {
	if err == nil {
		return newResponseStatus(200, "")
	}
	return newResponseStatus(apierrors.CodeFor(apierrors.FromGRPC(err)), status.Convert(err).Message())
}

// auditedStream describes the event by the first message received, and records ResponseStarted
// for a watch when the first message goes out. The stream's own goroutine calls both, one at a
// time.
type auditedStream struct {
	grpc.ServerStream
	// ctx carries the recorder authentication tells the user.
	ctx      context.Context
	l        *Logger
	ev       *Event
	method   string
	received bool
	sent     bool
}

func (s *auditedStream) Context() context.Context { return s.ctx }

func (s *auditedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil && !s.received {
		s.received = true
		s.ev.Verb, s.ev.ObjectRef = grpcRequest(s.method, m)
	}
	return err
}

func (s *auditedStream) SendMsg(m any) error {
	if !s.sent {
		s.sent = true
		if s.ev.Verb == "watch" {
			s.l.emit(s.l.at(s.ev, StageResponseStarted, newResponseStatus(200, "")))
		}
	}
	return s.ServerStream.SendMsg(m)
}

// grpcRequest returns the verb and object reference of a ResourceService call from its request
// message (nil: not known yet), as the same request over REST has them; any other method (health,
// reflection) is a non-resource "get".
func grpcRequest(method string, req any) (string, *ObjectRef) {
	var gvr *resourcev1.GroupVersionResource
	ref := &ObjectRef{}
	verb := "get"
	switch m := req.(type) {
	case *resourcev1.GetRequest:
		gvr, ref.Namespace, ref.Name, ref.Subresource = m.GetResource(), m.GetNamespace(), m.GetName(), m.GetSubresource()
	case *resourcev1.ListRequest:
		verb, gvr, ref.Namespace = "list", m.GetResource(), m.GetNamespace()
	case *resourcev1.WatchRequest:
		verb, gvr, ref.Namespace = "watch", m.GetResource(), m.GetNamespace()
	case *resourcev1.CreateRequest:
		verb, gvr, ref.Namespace, ref.Subresource = "create", m.GetResource(), m.GetNamespace(), m.GetSubresource()
		// A subresource's create (binding, eviction) names its parent, as its REST path does; an
		// object's create names the object, as Kubernetes' audit fills it from the request body.
		ref.Name = m.GetName()
		if ref.Subresource == "" {
			ref.Name = nameOf(m.GetObject().GetValue())
		}
	case *resourcev1.UpdateRequest:
		verb, gvr, ref.Namespace, ref.Subresource = "update", m.GetResource(), m.GetNamespace(), m.GetSubresource()
		ref.Name = nameOf(m.GetObject().GetValue())
		if method == resourcev1.ResourceService_UpdateStatus_FullMethodName {
			ref.Subresource = "status"
		}
	case *resourcev1.DeleteRequest:
		verb, gvr, ref.Namespace, ref.Name = "delete", m.GetResource(), m.GetNamespace(), m.GetName()
	case *resourcev1.PatchRequest:
		verb, gvr, ref.Namespace, ref.Name, ref.Subresource = "patch", m.GetResource(), m.GetNamespace(), m.GetName(), m.GetSubresource()
	}
	if gvr == nil {
		if method == resourcev1.ResourceService_Watch_FullMethodName {
			verb = "watch"
		}
		return verb, nil
	}
	ref.APIGroup, ref.APIVersion, ref.Resource = gvr.GetGroup(), gvr.GetVersion(), gvr.GetResource()
	return verb, ref
}

// nameOf returns metadata.name of an object in its wire form: every kind keeps its ObjectMeta in
// field 1 and ObjectMeta its name in field 1. Malformed bytes give "".
func nameOf(obj []byte) string {
	meta, ok := lastBytesField(obj, 1)
	if !ok {
		return ""
	}
	name, _ := lastBytesField(meta, 1)
	return string(name)
}

// lastBytesField returns the last length-delimited field num of the message b.
func lastBytesField(b []byte, num protowire.Number) (last []byte, found bool) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil, false
		}
		if n == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			last, found = v, true
		}
		b = b[l:]
	}
	return last, found
}
