package filter

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/anonymous"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn/authntest"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/bootstrap"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/clientcert"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/satoken"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/tokenfile"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	sa "github.com/keelson-dev/keelson/pkg/serviceaccount"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// fuzzChain is the whole authenticator chain, as the apiserver builds it, over in-memory objects:
// a token file, a bootstrap token Secret, a service account with its token Secret and a pod. It
// returns the chain and valid credentials to seed the fuzzers with.
func fuzzChain(f *testing.F) (authn.Authenticator, []string, []byte) {
	f.Helper()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	tf, err := tokenfile.Parse(strings.NewReader("static-token,alice,1,dev\n"))
	if err != nil {
		f.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := sa.NewSigner(key)
	if err != nil {
		f.Fatal(err)
	}
	legacy, err := signer.Sign(sa.NewLegacyClaims("team", "builder", "sa-uid", "builder-token"))
	if err != nil {
		f.Fatal(err)
	}
	bound, err := signer.SignBound(sa.NewBoundClaims(sa.BoundToken{
		Issuer: "https://keelson", Audiences: []string{"api"}, Namespace: "team",
		ServiceAccount: sa.ObjectRef{Name: "builder", UID: "sa-uid"}, Pod: &sa.ObjectRef{Name: "web", UID: "pod-uid"},
		IssuedAt: now, Expiration: time.Hour,
	}))
	if err != nil {
		f.Fatal(err)
	}
	objs := &authntest.Objects{}
	v1 := func(r string) scheme.GroupVersionResource {
		return scheme.GroupVersionResource{Version: "v1", Resource: r}
	}
	objs.Put(v1("secrets"), &corev1.Secret{Metadata: &metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-abcdef"},
		Type: bootstrap.SecretType, Data: map[string][]byte{"token-id": []byte("abcdef"), "token-secret": []byte("0123456789abcdef"),
			"usage-bootstrap-authentication": []byte("true")}})
	objs.Put(v1("serviceaccounts"), &corev1.ServiceAccount{Metadata: &metav1.ObjectMeta{Namespace: "team", Name: "builder", Uid: "sa-uid"}})
	objs.Put(v1("secrets"), &corev1.Secret{Metadata: &metav1.ObjectMeta{Namespace: "team", Name: "builder-token"}, Data: map[string][]byte{"token": []byte(legacy)}})
	objs.Put(v1("pods"), &corev1.Pod{Metadata: &metav1.ObjectMeta{Namespace: "team", Name: "web", Uid: "pod-uid"}})
	sat, err := satoken.New(satoken.Config{Keys: []crypto.PublicKey{key.Public()}, Issuers: []string{"https://keelson"},
		Audiences: []string{"api"}, Getter: objs, Clock: clock.NewFake(now)})
	if err != nil {
		f.Fatal(err)
	}
	chain := authn.Chain(clientcert.Authenticator{},
		authn.BearerToken(tf, bootstrap.New(objs, clock.NewFake(now)), sat),
		anonymous.Authenticator{})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keelson-admin", Organization: []string{"system:masters"}},
		NotBefore: now, NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	return chain, []string{"Bearer static-token", "Bearer abcdef.0123456789abcdef", "Bearer " + legacy, "Bearer " + bound,
		"Bearer " + legacy[:len(legacy)-3] + "AAA", "Basic YTpi", "Bearer", ""}, der
}

// fuzzAuthorizer allows alice in namespace "mine" and anything non-resource, and denies the rest.
var fuzzAuthorizer = authz.Func(func(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if !a.ResourceRequest || a.Namespace == "mine" {
		return authz.Allow, "", nil
	}
	return authz.Deny, "fuzzing", nil
})

// FuzzHTTP feeds the REST filter malformed certificates, Authorization headers, methods and paths:
// it must never panic and never answer 5xx.
func FuzzHTTP(f *testing.F) {
	chain, creds, der := fuzzChain(f)
	for _, c := range creds {
		f.Add("GET", "/api/v1/namespaces/mine/pods", "watch=true", c, der)
		f.Add("POST", "/apis/apps/v1/namespaces/x/deployments/d/scale", "", c, []byte{0x30, 0x03})
	}
	f.Add("DELETE", "/api/v1/watch/namespaces", "fieldSelector=metadata.name%3D..", "Bearer a.b.c", []byte(nil))
	f.Add("GET", "/healthz/", "", "bearer  x y", der[:len(der)/2])
	c := Config{Authenticator: chain, Authorizer: fuzzAuthorizer, Logger: zap.NewNop()}
	h := HTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }), c)
	f.Fuzz(func(t *testing.T, method, path, query, authorization string, certDER []byte) {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{}}
		r = r.WithContext(context.Background())
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		if cert, err := x509.ParseCertificate(certDER); err == nil {
			r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{cert}}}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s with %q: %d %s", method, path, query, authorization, rec.Code, rec.Body)
		}
	})
}

// FuzzGRPC feeds the gRPC interceptor malformed request messages and authorization metadata: it
// must never panic and never fail with a server error.
func FuzzGRPC(f *testing.F) {
	chain, creds, _ := fuzzChain(f)
	seed, _ := proto.Marshal(&resourcev1.UpdateRequest{Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: "mine"})
	for _, c := range creds {
		for _, m := range []string{"Get", "List", "Watch", "Create", "Update", "UpdateStatus", "Delete", "Patch"} {
			f.Add(m, c, seed)
		}
	}
	c := Config{Authenticator: chain, Authorizer: fuzzAuthorizer, Logger: zap.NewNop()}
	unary := Unary(c)
	messages := map[string]func() proto.Message{
		"Get": func() proto.Message { return &resourcev1.GetRequest{} }, "List": func() proto.Message { return &resourcev1.ListRequest{} },
		"Watch": func() proto.Message { return &resourcev1.WatchRequest{} }, "Create": func() proto.Message { return &resourcev1.CreateRequest{} },
		"Update": func() proto.Message { return &resourcev1.UpdateRequest{} }, "UpdateStatus": func() proto.Message { return &resourcev1.UpdateRequest{} },
		"Delete": func() proto.Message { return &resourcev1.DeleteRequest{} }, "Patch": func() proto.Message { return &resourcev1.PatchRequest{} },
	}
	f.Fuzz(func(t *testing.T, method, authorization string, body []byte) {
		var req any = body
		if newMsg, ok := messages[method]; ok {
			m := newMsg()
			if proto.Unmarshal(body, m) != nil {
				return
			}
			req = m
		}
		ctx := incoming(authorization, nil)
		info := &grpc.UnaryServerInfo{FullMethod: "/keelson.resource.v1.ResourceService/" + method}
		_, err := unary(ctx, req, info, func(context.Context, any) (any, error) { return nil, nil })
		switch status.Code(err) {
		case codes.OK, codes.Unauthenticated, codes.PermissionDenied:
		default:
			t.Fatalf("%s with %q: %v", method, authorization, err)
		}
	})
}
