package filter

import (
	"bytes"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/pkg/fields"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// resourceServicePrefix starts the full method of every ResourceService call.
var resourceServicePrefix = "/" + resourcev1.ResourceService_ServiceDesc.ServiceName + "/"

// isResourceMethod reports whether fullMethod is a ResourceService call, whose attributes come from
// its request message.
func isResourceMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, resourceServicePrefix)
}

// GRPCAttributes returns what a gRPC call asks, without its user. A ResourceService call is a
// resource request read from its request message, with the verb of its method (Get get, List list,
// Watch watch, Create create, Update update, UpdateStatus update of the status subresource, Delete
// delete, Patch patch); a list or watch with the field selector metadata.name=<name> names that
// object, and a namespace's own calls are in that namespace, as over REST. Any other method
// (health, reflection) is a non-resource request for the path of its full method with verb get.
func GRPCAttributes(fullMethod string, req any) authz.Attributes {
	if !isResourceMethod(fullMethod) {
		return authz.Attributes{Verb: "get", Path: fullMethod}
	}
	a := authz.Attributes{ResourceRequest: true}
	var gvr *resourcev1.GroupVersionResource
	var selector string
	switch m := req.(type) {
	case *resourcev1.GetRequest:
		a.Verb, gvr, a.Namespace, a.Name, a.Subresource = "get", m.GetResource(), m.GetNamespace(), m.GetName(), m.GetSubresource()
	case *resourcev1.ListRequest:
		a.Verb, gvr, a.Namespace, selector = "list", m.GetResource(), m.GetNamespace(), m.GetFieldSelector()
	case *resourcev1.WatchRequest:
		a.Verb, gvr, a.Namespace, selector = "watch", m.GetResource(), m.GetNamespace(), m.GetFieldSelector()
	case *resourcev1.CreateRequest:
		a.Verb, gvr, a.Namespace, a.Subresource = "create", m.GetResource(), m.GetNamespace(), m.GetSubresource()
		// Only a subresource's create (binding, eviction) names its object, as its REST path does.
		if a.Subresource != "" {
			a.Name = m.GetName()
		}
	case *resourcev1.UpdateRequest:
		a.Verb, gvr, a.Namespace, a.Name, a.Subresource = "update", m.GetResource(), m.GetNamespace(), objectName(m.GetObject()), m.GetSubresource()
		if strings.HasSuffix(fullMethod, "/UpdateStatus") {
			a.Subresource = "status"
		}
	case *resourcev1.DeleteRequest:
		a.Verb, gvr, a.Namespace, a.Name = "delete", m.GetResource(), m.GetNamespace(), m.GetName()
	case *resourcev1.PatchRequest:
		a.Verb, gvr, a.Namespace, a.Name, a.Subresource = "patch", m.GetResource(), m.GetNamespace(), m.GetName(), m.GetSubresource()
	default:
		// A method this edge does not know: named by its path, so that no authorizer mistakes it
		// for a request on some resource.
		return authz.Attributes{Verb: "get", Path: fullMethod}
	}
	a.APIGroup, a.APIVersion, a.Resource = gvr.GetGroup(), gvr.GetVersion(), gvr.GetResource()
	if selector != "" {
		if sel, err := fields.Parse(selector); err == nil {
			if name, ok := sel.RequiresExactMatch("metadata.name"); ok && validPathSegment(name) {
				a.Name = name
			}
		}
	}
	if a.APIGroup == "" && a.Resource == "namespaces" && a.Name != "" {
		a.Namespace = a.Name
	}
	return a
}

// objectName returns metadata.name of a packed object without decoding the whole object: every
// kind's message holds its ObjectMeta in field 1, whose name is field 1. It reads the bytes the
// way a protobuf decoder does (occurrences of a message field merge, so they are joined; the last
// occurrence of a string wins), so the name authorized is the name the service decodes. It
// returns "" for anything it cannot read; the service refuses such an object anyway.
func objectName(obj *anypb.Any) string {
	metas, ok := bytesFields(obj.GetValue(), 1)
	if !ok {
		return ""
	}
	names, ok := bytesFields(bytes.Join(metas, nil), 1)
	if !ok || len(names) == 0 {
		return ""
	}
	return string(names[len(names)-1])
}

// bytesFields returns every occurrence of length-delimited field num in the wire bytes b, in
// order; ok is false when b is not well-formed.
func bytesFields(b []byte, num protowire.Number) (out [][]byte, ok bool) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, false
			}
			out = append(out, v)
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
	}
	return out, true
}
