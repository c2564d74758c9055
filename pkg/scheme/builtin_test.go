package scheme_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/pkg/scheme"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

func TestBuiltinKinds(t *testing.T) {
	type want struct {
		kind         string
		namespaced   bool
		short        []string
		categories   []string
		subresources []string
	}
	all := []string{"all"}
	wants := map[scheme.GroupVersionResource]want{
		{Version: "v1", Resource: "pods"}:                                                     {"Pod", true, []string{"po"}, all, []string{"status", "binding", "log", "eviction"}},
		{Version: "v1", Resource: "nodes"}:                                                    {"Node", false, []string{"no"}, nil, []string{"status"}},
		{Version: "v1", Resource: "services"}:                                                 {"Service", true, []string{"svc"}, all, []string{"status"}},
		{Version: "v1", Resource: "endpoints"}:                                                {"Endpoints", true, []string{"ep"}, nil, nil},
		{Version: "v1", Resource: "namespaces"}:                                               {"Namespace", false, []string{"ns"}, nil, []string{"status", "finalize"}},
		{Version: "v1", Resource: "replicationcontrollers"}:                                   {"ReplicationController", true, []string{"rc"}, all, []string{"status", "scale"}},
		{Version: "v1", Resource: "events"}:                                                   {"Event", true, []string{"ev"}, nil, nil},
		{Version: "v1", Resource: "configmaps"}:                                               {"ConfigMap", true, []string{"cm"}, nil, nil},
		{Version: "v1", Resource: "secrets"}:                                                  {"Secret", true, nil, nil, nil},
		{Version: "v1", Resource: "serviceaccounts"}:                                          {"ServiceAccount", true, []string{"sa"}, nil, []string{"token"}},
		{Version: "v1", Resource: "resourcequotas"}:                                           {"ResourceQuota", true, []string{"quota"}, nil, []string{"status"}},
		{Group: "apps", Version: "v1", Resource: "replicasets"}:                               {"ReplicaSet", true, []string{"rs"}, all, []string{"status", "scale"}},
		{Group: "apps", Version: "v1", Resource: "deployments"}:                               {"Deployment", true, []string{"deploy"}, all, []string{"status", "scale"}},
		{Group: "apps", Version: "v1", Resource: "daemonsets"}:                                {"DaemonSet", true, []string{"ds"}, all, []string{"status"}},
		{Group: "apps", Version: "v1", Resource: "statefulsets"}:                              {"StatefulSet", true, []string{"sts"}, all, []string{"status", "scale"}},
		{Group: "apps", Version: "v1", Resource: "controllerrevisions"}:                       {"ControllerRevision", true, nil, nil, nil},
		{Group: "batch", Version: "v1", Resource: "jobs"}:                                     {"Job", true, nil, all, []string{"status"}},
		{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}:                     {"Lease", true, nil, nil, nil},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}:                {"Role", true, nil, nil, nil},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}:         {"ClusterRole", false, nil, nil, nil},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}:         {"RoleBinding", true, nil, nil, nil},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}:  {"ClusterRoleBinding", false, nil, nil, nil},
		{Group: "certificates.k8s.io", Version: "v1", Resource: "certificatesigningrequests"}: {"CertificateSigningRequest", false, []string{"csr"}, nil, []string{"status", "approval"}},
	}

	s := scheme.Builtin()
	if got := len(s.Kinds()); got != len(wants) {
		t.Errorf("Builtin has %d kinds, want %d", got, len(wants))
	}
	for gvr, w := range wants {
		t.Run(gvr.String(), func(t *testing.T) {
			k, ok := s.ByResource(gvr)
			if !ok {
				t.Fatalf("ByResource(%s): not registered", gvr)
			}
			if k.Kind != w.kind || k.Namespaced != w.namespaced ||
				!slices.Equal(k.ShortNames, w.short) || !slices.Equal(k.Categories, w.categories) ||
				!slices.Equal(k.Subresources, w.subresources) {
				t.Errorf("got kind %s namespaced=%v short=%v categories=%v subresources=%v, want %+v",
					k.Kind, k.Namespaced, k.ShortNames, k.Categories, k.Subresources, w)
			}
			if byKind, ok := s.ByKind(k.GroupVersionKind); !ok || byKind != k {
				t.Errorf("ByKind(%v) does not return the kind ByResource does", k.GroupVersionKind)
			}
			if k.Singular == "" {
				t.Errorf("no singular name")
			}
		})
	}
}

// TestBuiltinCreateOnly checks the reviews: found by resource and message, never among Kinds.
func TestBuiltinCreateOnly(t *testing.T) {
	s := scheme.Builtin()
	wants := map[scheme.GroupVersionResource]bool{
		{Group: "authorization.k8s.io", Version: "v1", Resource: "subjectaccessreviews"}:      false,
		{Group: "authorization.k8s.io", Version: "v1", Resource: "localsubjectaccessreviews"}: true,
		{Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectaccessreviews"}:  false,
		{Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectrulesreviews"}:   false,
		{Group: "authentication.k8s.io", Version: "v1", Resource: "selfsubjectreviews"}:       false,
	}
	if got := len(s.CreateOnly()); got != len(wants) {
		t.Errorf("Builtin has %d create-only kinds, want %d", got, len(wants))
	}
	for _, k := range s.CreateOnly() {
		namespaced, ok := wants[k.GVR()]
		if !ok || !k.CreateOnly || k.Namespaced != namespaced {
			t.Errorf("create-only kind %s: listed=%v CreateOnly=%v namespaced=%v", k.GVR(), ok, k.CreateOnly, k.Namespaced)
		}
		if byMsg, ok := s.ByMessage(k.MessageName()); !ok || byMsg != k {
			t.Errorf("ByMessage(%s) does not return %s", k.MessageName(), k.Kind)
		}
	}
	for _, k := range s.Kinds() {
		if k.CreateOnly {
			t.Errorf("Kinds lists the create-only kind %s", k.Kind)
		}
	}
}

func TestBuiltinReturnsFreshSchemes(t *testing.T) {
	a, b := scheme.Builtin(), scheme.Builtin()
	if a == b {
		t.Fatal("Builtin returned the same Scheme twice")
	}
	if len(a.Kinds()) != len(b.Kinds()) {
		t.Fatal("two Builtin schemes differ")
	}
}

// TestBuiltinRoundTrip packs a fully populated object of every kind and unpacks it again.
func TestBuiltinRoundTrip(t *testing.T) {
	s := scheme.Builtin()
	for _, k := range s.Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			obj := k.New()
			fill(obj.ProtoReflect(), 0)
			scheme.Meta(obj).Name = "example"
			a, err := scheme.Pack(obj)
			if err != nil {
				t.Fatalf("Pack: %v", err)
			}
			got, gotKind, err := s.Unpack(a)
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if gotKind != k {
				t.Errorf("Unpack returned kind %s, want %s", gotKind.Kind, k.Kind)
			}
			if !proto.Equal(got, obj) {
				t.Errorf("round trip changed the object:\n got %v\nwant %v", got, obj)
			}
			if got.GetMetadata().GetName() != "example" {
				t.Errorf("metadata.name = %q after round trip", got.GetMetadata().GetName())
			}
		})
	}
}

// fill sets every field of m to a non-zero value, descending into messages up to a fixed depth so
// recursive types end.
func fill(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			key := protoreflect.ValueOfString("k").MapKey()
			if fd.MapValue().Message() != nil {
				v := mp.NewValue()
				fill(v.Message(), depth+1)
				mp.Set(key, v)
				continue
			}
			mp.Set(key, scalar(fd.MapValue()))
		case fd.IsList():
			l := m.Mutable(fd).List()
			if fd.Message() != nil {
				if depth < 4 {
					fill(l.AppendMutable().Message(), depth+1)
				}
				continue
			}
			l.Append(scalar(fd))
		case fd.Message() != nil:
			if depth < 4 {
				fill(m.Mutable(fd).Message(), depth+1)
			}
		default:
			m.Set(fd, scalar(fd))
		}
	}
}

func scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("v")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{1})
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(7)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(7)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(7)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(7)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(7)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(7)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(1)
	default:
		panic("fill: unhandled kind " + fd.Kind().String())
	}
}

// TestBuiltinLayout checks every kind's message: metadata = 1, and spec = 2 and status = 3 holding
// <Kind>Spec and <Kind>Status, except the kinds Kubernetes gives no spec or status.
func TestBuiltinLayout(t *testing.T) {
	noSpec := map[string]bool{"ConfigMap": true, "Secret": true, "Endpoints": true, "Event": true, "ServiceAccount": true, "ControllerRevision": true,
		"Role": true, "ClusterRole": true, "RoleBinding": true, "ClusterRoleBinding": true}
	noStatus := map[string]bool{"Lease": true}
	for _, k := range scheme.Builtin().Kinds() {
		t.Run(k.Kind, func(t *testing.T) {
			md := k.New().ProtoReflect().Descriptor()
			if string(md.Name()) != k.Kind {
				t.Errorf("message %s is not named after kind %s", md.FullName(), k.Kind)
			}
			fields := md.Fields()
			checkField(t, fields.ByNumber(1), "metadata", "keelson.meta.v1.ObjectMeta")
			spec, status := fields.ByName("spec"), fields.ByName("status")
			if noSpec[k.Kind] {
				if spec != nil || status != nil {
					t.Errorf("%s has a spec or status field; Kubernetes gives it none", k.Kind)
				}
				return
			}
			pkg := md.ParentFile().Package()
			checkField(t, fields.ByNumber(2), "spec", pkg.Append(protoreflect.Name(k.Kind+"Spec")))
			if noStatus[k.Kind] {
				if status != nil || fields.Len() != 2 {
					t.Errorf("%s has fields beyond metadata and spec", k.Kind)
				}
				return
			}
			checkField(t, fields.ByNumber(3), "status", pkg.Append(protoreflect.Name(k.Kind+"Status")))
			if fields.Len() != 3 {
				t.Errorf("%s has %d fields, want metadata, spec and status only", k.Kind, fields.Len())
			}
		})
	}
}

func checkField(t *testing.T, fd protoreflect.FieldDescriptor, name protoreflect.Name, msg protoreflect.FullName) {
	t.Helper()
	if fd == nil {
		t.Errorf("no field %s", name)
		return
	}
	if fd.Name() != name || fd.Message() == nil || fd.Message().FullName() != msg || fd.IsList() {
		t.Errorf("field %d is %s, want %s of type %s", fd.Number(), fd.FullName(), name, msg)
	}
}

// TestBuiltinSubresourcePayloads checks that Binding, Eviction and Scale are not resources.
func TestBuiltinSubresourcePayloads(t *testing.T) {
	s := scheme.Builtin()
	for _, obj := range []scheme.Object{&corev1.Binding{}, &policyv1.Eviction{}, &autoscalingv1.Scale{}} {
		if k, ok := s.ForObject(obj); ok {
			t.Errorf("%T is registered as kind %s", obj, k.Kind)
		}
		a, err := scheme.Pack(obj)
		if err != nil {
			t.Fatalf("Pack %T: %v", obj, err)
		}
		if _, _, err := s.Unpack(a); err == nil {
			t.Errorf("Unpack of a %T succeeded; it is not a resource", obj)
		}
	}
}
