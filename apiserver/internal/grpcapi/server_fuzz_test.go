package grpcapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/scheme"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// rpc is a method of the resource service, with its request and response messages.
type rpc struct {
	name      string
	request   func() proto.Message
	response  func() proto.Message
	streaming bool
}

// rpcs are every method of resourcev1.ResourceService.
var rpcs = []rpc{
	{"Get", func() proto.Message { return &resourcev1.GetRequest{} }, func() proto.Message { return &resourcev1.GetResponse{} }, false},
	{"List", func() proto.Message { return &resourcev1.ListRequest{} }, func() proto.Message { return &resourcev1.ListResponse{} }, false},
	{"Watch", func() proto.Message { return &resourcev1.WatchRequest{} }, func() proto.Message { return &resourcev1.WatchEvent{} }, true},
	{"Create", func() proto.Message { return &resourcev1.CreateRequest{} }, func() proto.Message { return &resourcev1.CreateResponse{} }, false},
	{"Update", func() proto.Message { return &resourcev1.UpdateRequest{} }, func() proto.Message { return &resourcev1.UpdateResponse{} }, false},
	{"UpdateStatus", func() proto.Message { return &resourcev1.UpdateRequest{} }, func() proto.Message { return &resourcev1.UpdateResponse{} }, false},
	{"Delete", func() proto.Message { return &resourcev1.DeleteRequest{} }, func() proto.Message { return &resourcev1.DeleteResponse{} }, false},
	{"Patch", func() proto.Message { return &resourcev1.PatchRequest{} }, func() proto.Message { return &resourcev1.PatchResponse{} }, false},
}

func (m rpc) fullName() string {
	return "/" + resourcev1.ResourceService_ServiceDesc.ServiceName + "/" + m.name
}

const (
	// watchListen is how long a watch is read before the client goes away, unless it asked for a
	// timeout short enough to wait for.
	watchListen = time.Second
	// maxAwaitedWatchTimeout is the longest timeout_seconds a watch is read to its end for.
	maxAwaitedWatchTimeout = 2
	// watchEndSlack is how long after its timeout_seconds a watch may take to end.
	watchEndSlack = 3 * time.Second
)

// pick returns the element of xs that a fuzzed selector names.
func pick[T any](xs []T, i int) T {
	return xs[uint(i)%uint(len(xs))]
}

// FuzzGRPCRequest sends fuzzed bytes as the request message of a fuzzed method of the resource
// service: the server unmarshals them into GetRequest, ListRequest, WatchRequest (read for a
// second, or to its end when it asked for timeout_seconds of at most 2), CreateRequest,
// UpdateRequest, DeleteRequest or PatchRequest, every field and nested Any included.
func FuzzGRPCRequest(f *testing.F) {
	h := servertest.StartFuzz(f)
	f.Fuzz(func(t *testing.T, method int, msg []byte) {
		m := pick(rpcs, method)
		keys, dry := requestScope(m, msg)
		h.Do(t, keys, dry, func(ctx context.Context) bool {
			return sendGRPC(ctx, t, h.GRPC, m, msg)
		})
	})
}

// objectTarget is an object (or subresource) a fuzzed object is written to.
type objectTarget struct {
	group, version, resource, namespace, name, subresource string
}

func (o objectTarget) key() string {
	return servertest.FixtureKey(o.group, o.resource, o.namespace, o.name)
}

// objectTargets are the fixtures, a missing object and a missing namespace, and the subresources
// written through Create, Update and Patch.
var objectTargets = []objectTarget{
	{"", "v1", "configmaps", "fz", "cm", ""},
	{"", "v1", "configmaps", "fz", "missing", ""},
	{"", "v1", "configmaps", "nope", "cm", ""},
	{"", "v1", "pods", "fz", "p", ""},
	{"", "v1", "pods", "fz", "p", "status"},
	{"", "v1", "pods", "fz", "q", "binding"},
	{"", "v1", "pods", "fz", "p", "eviction"},
	{"", "v1", "pods", "fz", "q", "eviction"},
	{"apps", "v1", "deployments", "fz", "d", ""},
	{"apps", "v1", "deployments", "fz", "d", "scale"},
	{"apps", "v1", "deployments", "fz", "d", "status"},
	{"", "v1", "nodes", "", "n", ""},
	{"", "v1", "nodes", "", "n", "status"},
}

// objectMethods are the methods that carry an object or a patch.
var objectMethods = []string{"Create", "Update", "UpdateStatus", "Patch"}

// typeURLs are the Any type URLs a fuzzed object is sent as: every kind the targets hold, the
// subresources' messages, and ones the server knows nothing of.
var typeURLs = []string{
	"type.googleapis.com/keelson.core.v1.ConfigMap",
	"type.googleapis.com/keelson.core.v1.Pod",
	"type.googleapis.com/keelson.apps.v1.Deployment",
	"type.googleapis.com/keelson.core.v1.Node",
	"type.googleapis.com/keelson.autoscaling.v1.Scale",
	"type.googleapis.com/keelson.core.v1.Binding",
	"type.googleapis.com/keelson.policy.v1.Eviction",
	"",
	"keelson.core.v1.ConfigMap",
	"type.googleapis.com/google.protobuf.Empty",
}

// patchTypes are the patch types a fuzzed patch is sent as.
var patchTypes = []string{
	"application/merge-patch+json",
	"application/json-patch+json",
	"application/strategic-merge-patch+json",
	"application/apply-patch+yaml",
	"application/json",
}

// FuzzGRPCObject writes a fuzzed payload through Create, Update, UpdateStatus or Patch to a fuzzed
// target, subresources included (status, binding, eviction, scale): for Patch the payload is the
// patch, of a fuzzed patch type; otherwise it is the value of the request's Any, of a fuzzed type
// URL, so that the object's own bytes (unknown fields, wrong types, broken encodings) are fuzzed
// while the request around them is well formed.
func FuzzGRPCObject(f *testing.F) {
	h := servertest.StartFuzz(f)
	f.Fuzz(func(t *testing.T, method, target, typ int, payload []byte, dryRun bool) {
		m, tg := pick(objectMethods, method), pick(objectTargets, target)
		gvr := &resourcev1.GroupVersionResource{Group: tg.group, Version: tg.version, Resource: tg.resource}
		obj := &anypb.Any{TypeUrl: pick(typeURLs, typ), Value: payload}
		var req proto.Message
		switch m {
		case "Create":
			req = &resourcev1.CreateRequest{Resource: gvr, Namespace: tg.namespace, Name: tg.name, Subresource: tg.subresource,
				Object: obj, DryRun: dryRun, FieldManager: "fuzz"}
		case "Update", "UpdateStatus":
			req = &resourcev1.UpdateRequest{Resource: gvr, Namespace: tg.namespace, Subresource: tg.subresource,
				Object: obj, DryRun: dryRun, FieldManager: "fuzz"}
		default:
			req = &resourcev1.PatchRequest{Resource: gvr, Namespace: tg.namespace, Name: tg.name, Subresource: tg.subresource,
				PatchType: pick(patchTypes, typ), Patch: payload, DryRun: dryRun, FieldManager: "fuzz"}
		}
		msg, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var call rpc
		for _, r := range rpcs {
			if r.name == m {
				call = r
			}
		}
		h.Do(t, []string{tg.key()}, dryRun, func(ctx context.Context) bool {
			return sendGRPC(ctx, t, h.GRPC, call, msg)
		})
	})
}

// requestScope reads, as far as msg decodes as m's request, the storage key of the object it
// names and whether it asks for a dry run.
func requestScope(m rpc, msg []byte) (keys []string, dryRun bool) {
	req := m.request()
	if proto.Unmarshal(msg, req) != nil {
		return nil, false
	}
	var gvr *resourcev1.GroupVersionResource
	var namespace, name string
	switch r := req.(type) {
	case *resourcev1.GetRequest:
		gvr, namespace, name = r.GetResource(), r.GetNamespace(), r.GetName()
	case *resourcev1.CreateRequest:
		gvr, namespace, name, dryRun = r.GetResource(), r.GetNamespace(), r.GetName(), r.GetDryRun()
	case *resourcev1.UpdateRequest:
		gvr, namespace, dryRun = r.GetResource(), r.GetNamespace(), r.GetDryRun()
		name = objectName(r.GetObject())
	case *resourcev1.DeleteRequest:
		gvr, namespace, name, dryRun = r.GetResource(), r.GetNamespace(), r.GetName(), r.GetOptions().GetDryRun()
	case *resourcev1.PatchRequest:
		gvr, namespace, name, dryRun = r.GetResource(), r.GetNamespace(), r.GetName(), r.GetDryRun()
	}
	if gvr == nil || name == "" {
		return nil, dryRun
	}
	k, ok := scheme.Builtin().ByResource(scheme.GroupVersionResource{Group: gvr.GetGroup(), Version: gvr.GetVersion(), Resource: gvr.GetResource()})
	if !ok {
		return nil, dryRun
	}
	if !k.Namespaced {
		namespace = ""
	}
	return []string{servertest.FixtureKey(k.Group, k.Resource, namespace, name)}, dryRun
}

// objectName returns metadata.name of the object in a, or "".
func objectName(a *anypb.Any) string {
	m, err := a.UnmarshalNew()
	if err != nil {
		return ""
	}
	if o, ok := m.(scheme.Object); ok {
		return o.GetMetadata().GetName()
	}
	return ""
}

// rawCodec sends a request's bytes as they are and hands a response's bytes back undecoded, so
// that the server decodes what the fuzzer wrote.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec marshals *[]byte, not %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec unmarshals into *[]byte, not %T", v)
	}
	*b = data.Materialize()
	return nil
}

// sendGRPC calls m with msg as its request and checks the answer: its status is no server fault
// (see serverFault), a response decodes as m's response message, and a watch ends by itself when
// its timeout_seconds pass. It returns whether the server accepted the request.
func sendGRPC(ctx context.Context, t *testing.T, conn *grpc.ClientConn, m rpc, msg []byte) bool {
	t.Helper()
	describe := func() string { return fmt.Sprintf("%s with request %s", m.name, truncate(msg)) }
	if m.streaming {
		return watchGRPC(ctx, t, conn, m, msg, describe)
	}
	var out []byte
	err := conn.Invoke(ctx, m.fullName(), &msg, &out, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		if ctx.Err() == nil && serverFault(err) {
			t.Errorf("%s: %v", describe(), err)
		}
		return false
	}
	if err := proto.Unmarshal(out, m.response()); err != nil {
		t.Errorf("%s: the response does not decode: %v", describe(), err)
	}
	return true
}

// watchGRPC runs a Watch: a watch that asked for timeout_seconds of at most
// maxAwaitedWatchTimeout is read to its end, which must come within watchEndSlack of that; any
// other is read for watchListen, then the client goes away.
func watchGRPC(ctx context.Context, t *testing.T, conn *grpc.ClientConn, m rpc, msg []byte, describe func() string) bool {
	t.Helper()
	listen := watchListen
	var req resourcev1.WatchRequest
	awaited := false
	if proto.Unmarshal(msg, &req) == nil && req.GetTimeoutSeconds() > 0 && req.GetTimeoutSeconds() <= maxAwaitedWatchTimeout {
		awaited = true
		listen = time.Duration(req.GetTimeoutSeconds())*time.Second + watchEndSlack
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	left := time.AfterFunc(listen, cancel)
	defer left.Stop()
	stream, err := conn.NewStream(sctx, &grpc.StreamDesc{ServerStreams: true}, m.fullName(), grpc.ForceCodecV2(rawCodec{}))
	if err == nil {
		err = stream.SendMsg(&msg)
	}
	if err == nil {
		err = stream.CloseSend()
	}
	accepted := false
	for err == nil {
		var out []byte
		if err = stream.RecvMsg(&out); err == nil {
			accepted = true
			if uerr := proto.Unmarshal(out, m.response()); uerr != nil {
				t.Errorf("%s: a watch event does not decode: %v", describe(), uerr)
			}
		}
	}
	switch {
	case errors.Is(err, io.EOF):
		return true // the server ended the watch
	case ctx.Err() != nil:
		return accepted // the deadline passed; Do reports the hang
	case sctx.Err() != nil:
		if awaited {
			t.Errorf("%s: the watch did not end within %s of its timeout_seconds", describe(), watchEndSlack)
		}
		return true
	case serverFault(err):
		t.Errorf("%s: %v", describe(), err)
	}
	return accepted
}

// serverFault reports whether a gRPC error is the server's fault rather than the request's: the
// codes that stand for 5xx, with two exceptions that are answers to the request itself.
// DeadlineExceeded "Too large resource version" is Kubernetes' own 504 for a read from a revision
// the server has not reached, which the client may retry. Internal "grpc: error unmarshalling
// request" (unary) and "grpc: failed to unmarshal the received message" (streams) are what the
// gRPC library answers, before any apiserver code sees the request, for a request message that
// does not parse, as gRPC's status code table prescribes for that case. etcd is up for the whole
// run, so Unavailable is never right.
func serverFault(err error) bool {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Internal:
		return !strings.HasPrefix(st.Message(), "grpc: error unmarshalling request") &&
			!strings.HasPrefix(st.Message(), "grpc: failed to unmarshal the received message")
	case codes.Unknown, codes.DataLoss, codes.Unavailable, codes.Canceled:
		return true
	case codes.DeadlineExceeded:
		return !strings.HasPrefix(st.Message(), "Too large resource version")
	}
	return false
}

func truncate(b []byte) string {
	const shown = 512
	if len(b) > shown {
		return fmt.Sprintf("%q... (%d bytes)", b[:shown], len(b))
	}
	return fmt.Sprintf("%q", b)
}
