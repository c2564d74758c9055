package clienttest

import (
	"net"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// Verb names a call of the resource service, for Calls and Intercept.
type Verb string

// The verbs.
const (
	Get          Verb = "get"
	List         Verb = "list"
	Watch        Verb = "watch"
	Create       Verb = "create"
	Update       Verb = "update"
	UpdateStatus Verb = "updatestatus"
	Delete       Verb = "delete"
	Patch        Verb = "patch"
)

// Call describes one call of the resource service. Name is empty for list and watch, and for a
// create unless the call names the object (a binding does); Subresource is "binding" for a pod's
// binding.
type Call struct {
	Verb        Verb
	Resource    string
	Namespace   string
	Name        string
	Subresource string
}

// Server is an in-memory resource service on a loopback port. Its methods are safe for concurrent
// use. Start it with Start; the test's cleanup stops it.
type Server struct {
	tb     testing.TB
	scheme *scheme.Scheme
	grpc   *grpc.Server
	client *client.Client
	svc    *service

	mu        sync.Mutex
	rev       int64
	compacted int64 // watches from a revision before this one get Gone; history holds the later ones
	objects   map[scheme.GroupVersionResource]map[string]scheme.Object
	history   []event // every change after compacted, in revision order
	watchers  map[*watcher]struct{}
	calls     map[Verb]map[string]int
	intercept func(Call) error
}

// event is one change to one object.
type event struct {
	gvr scheme.GroupVersionResource
	typ client.EventType
	obj scheme.Object
	rev int64
}

// Start serves an in-memory resource service holding objs on 127.0.0.1 (a port of the system's
// choosing) until the test ends. Each object gets a resourceVersion, and a uid if it has none; a
// namespaced object without a namespace goes to "default".
func Start(tb testing.TB, objs ...scheme.Object) *Server {
	tb.Helper()
	s := &Server{
		tb: tb, scheme: scheme.Builtin(),
		objects:  map[scheme.GroupVersionResource]map[string]scheme.Object{},
		watchers: map[*watcher]struct{}{},
		calls:    map[Verb]map[string]int{},
	}
	s.svc = &service{s: s}
	for _, obj := range objs {
		s.Add(obj)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("clienttest: listen: %v", err)
	}
	s.grpc = grpc.NewServer(grpc.ForceServerCodecV2(wire.Codec{}))
	resourcev1.RegisterResourceServiceServer(s.grpc, s.svc)
	hs := health.NewServer()
	hs.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s.grpc, hs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.grpc.Serve(lis) // returns when Stop closes the listener
	}()
	c, err := client.New(client.Config{Endpoints: []string{lis.Addr().String()}, UserAgent: "clienttest"})
	if err != nil {
		s.grpc.Stop()
		<-served
		tb.Fatalf("clienttest: client: %v", err)
	}
	s.client = c
	tb.Cleanup(func() {
		_ = c.Close()
		s.grpc.Stop()
		<-served
	})
	return s
}

// Client returns a client of the server. The test's cleanup closes it.
func (s *Server) Client() *client.Client { return s.client }

// Calls returns how many calls of verb reached the server for resource (a plural such as "pods"),
// counting those Intercept failed.
func (s *Server) Calls(verb Verb, resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[verb][resource]
}

// Intercept makes fn see every call before the server serves it; a non-nil error fails the call
// with that error (an *apierrors.StatusError keeps its reason on the wire). nil removes the hook.
func (s *Server) Intercept(fn func(Call) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.intercept = fn
}

// Add stores a copy of obj as a create would, and tells the watchers. It fails the test if obj is
// not a registered kind or its name is taken.
func (s *Server) Add(obj scheme.Object) {
	s.tb.Helper()
	k, ok := s.scheme.ForObject(obj)
	if !ok {
		s.tb.Fatalf("clienttest: %T is not a registered kind", obj)
	}
	obj = proto.Clone(obj).(scheme.Object)
	m := scheme.Meta(obj)
	if k.Namespaced && m.GetNamespace() == "" {
		m.Namespace = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.createLocked(k, obj, ""); err != nil {
		s.tb.Fatalf("clienttest: add %s %s: %v", k.Kind, scheme.Key(obj), err)
	}
}

// Compact forgets the history of changes: a watch that resumes from a resourceVersion before now
// fails with Gone, and the client relists.
func (s *Server) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted = s.rev
	s.history = nil
}

// ResourceVersion returns the server's current resourceVersion.
func (s *Server) ResourceVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.FormatInt(s.rev, 10)
}

// Stored returns a copy of the stored object of T's kind at namespace/name ("" for cluster-scoped
// kinds).
func Stored[T scheme.Object](s *Server, namespace, name string) (T, bool) {
	var zero T
	k, ok := s.scheme.ForObject(zero)
	if !ok {
		return zero, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.objects[k.GVR()][objectKey(namespace, name)]
	if !ok {
		return zero, false
	}
	return proto.Clone(obj).(T), true
}

func objectKey(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
