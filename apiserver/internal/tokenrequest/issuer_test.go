package tokenrequest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// objects is a Getter over objects by namespace/name.
type objects map[string]scheme.Object

func (o objects) Get(_ context.Context, namespace, name string, _ registry.GetOptions) (scheme.Object, error) {
	if obj, ok := o[namespace+"/"+name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound("", "objects", name)
}

const issuer = "https://keelson.test"

func newIssuer(t *testing.T, now time.Time) (*Issuer, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	signer, err := serviceaccount.NewSigner(key)
	require.NoError(t, err)
	meta := func(ns, name, uid string) *metav1.ObjectMeta {
		return &metav1.ObjectMeta{Namespace: ns, Name: name, Uid: uid}
	}
	is, err := New(Config{
		Signer: signer, Issuer: issuer, Clock: clock.NewFake(now),
		ServiceAccounts: objects{"ns/sa": &corev1.ServiceAccount{Metadata: meta("ns", "sa", "sa-uid")}},
		Pods: objects{
			"ns/pod-a":     &corev1.Pod{Metadata: meta("ns", "pod-a", "pod-a-uid"), Spec: &corev1.PodSpec{ServiceAccountName: "sa", NodeName: "a"}},
			"ns/pod-b":     &corev1.Pod{Metadata: meta("ns", "pod-b", "pod-b-uid"), Spec: &corev1.PodSpec{ServiceAccountName: "sa", NodeName: "b"}},
			"ns/pod-other": &corev1.Pod{Metadata: meta("ns", "pod-other", "pod-other-uid"), Spec: &corev1.PodSpec{ServiceAccountName: "other", NodeName: "a"}},
		},
		Secrets: objects{"ns/secret": &corev1.Secret{Metadata: meta("ns", "secret", "secret-uid")}},
		Nodes:   objects{"/a": &corev1.Node{Metadata: meta("", "a", "node-a-uid")}},
	})
	require.NoError(t, err)
	return is, key
}

func seconds(n int64) *int64 { return &n }

func TestIssueTokenValidates(t *testing.T) {
	is, _ := newIssuer(t, time.Unix(1_700_000_000, 0))
	ref := func(kind, name, uid string) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{Kind: kind, ApiVersion: "v1", Name: name, Uid: uid}
	}
	kubeletA := &user.Info{Name: user.NodeUserPrefix + "a", Groups: []string{user.NodesGroup}}
	tests := []struct {
		name   string
		sa     string
		user   *user.Info
		spec   *authenticationv1.TokenRequestSpec
		reason apierrors.Reason // "" succeeds
	}{
		{"defaults", "sa", nil, nil, ""},
		{"ten minutes", "sa", nil, &authenticationv1.TokenRequestSpec{ExpirationSeconds: seconds(600)}, ""},
		{"shorter than ten minutes", "sa", nil, &authenticationv1.TokenRequestSpec{ExpirationSeconds: seconds(599)}, apierrors.ReasonInvalid},
		{"longer than 2^32 seconds", "sa", nil, &authenticationv1.TokenRequestSpec{ExpirationSeconds: seconds(1<<32 + 1)}, apierrors.ReasonInvalid},
		{"an empty audience", "sa", nil, &authenticationv1.TokenRequestSpec{Audiences: []string{"x", ""}}, apierrors.ReasonInvalid},
		{"bound to a pod", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-a", "pod-a-uid")}, ""},
		{"bound to a pod without uid", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-a", "")}, ""},
		{"bound to a secret", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "secret", "secret-uid")}, ""},
		{"bound to a recreated pod", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-a", "old")}, apierrors.ReasonConflict},
		{"bound to a missing pod", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "gone", "")}, apierrors.ReasonNotFound},
		{"bound to a pod of another account", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-other", "")}, apierrors.ReasonBadRequest},
		{"bound to a node", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Node", "a", "")}, apierrors.ReasonInvalid},
		{"bound without a name", "sa", nil, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "", "")}, apierrors.ReasonInvalid},
		{"missing service account", "nope", nil, nil, apierrors.ReasonNotFound},
		{"node for its own pod", "sa", kubeletA, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-a", "")}, ""},
		{"node for another node's pod", "sa", kubeletA, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "pod-b", "")}, apierrors.ReasonForbidden},
		{"node for a secret", "sa", kubeletA, &authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "secret", "")}, apierrors.ReasonForbidden},
		{"node unbound", "sa", kubeletA, nil, apierrors.ReasonForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.user != nil {
				ctx = user.NewContext(ctx, tt.user)
			}
			out, err := is.IssueToken(ctx, "ns", tt.sa, &authenticationv1.TokenRequest{Spec: tt.spec}, false)
			if tt.reason != "" {
				require.Error(t, err)
				require.Equal(t, tt.reason, apierrors.ReasonFor(err), "%v", err)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, out.GetStatus().GetToken())
		})
	}
}

func TestIssuedTokenVerifiesAndIsBound(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	is, key := newIssuer(t, now)
	out, err := is.IssueToken(context.Background(), "ns", "sa", &authenticationv1.TokenRequest{Spec: &authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", ApiVersion: "v1", Name: "pod-a"},
	}}, false)
	require.NoError(t, err)
	require.Equal(t, []string{issuer}, out.GetSpec().GetAudiences(), "the default audience is the issuer")
	require.Equal(t, int64(DefaultExpirationSeconds), out.GetSpec().GetExpirationSeconds())
	require.Equal(t, now.Add(time.Hour).Unix(), out.GetStatus().GetExpirationTimestamp().GetSeconds())
	require.Equal(t, "sa", out.GetMetadata().GetName())

	claims, err := serviceaccount.VerifyBound(out.GetStatus().GetToken(),
		serviceaccount.Expected{Issuers: []string{issuer}, Audiences: []string{issuer}, Now: now.Add(time.Minute)}, key.Public())
	require.NoError(t, err)
	require.Equal(t, "system:serviceaccount:ns:sa", claims.Subject)
	k := claims.Kubernetes
	require.Equal(t, "ns", k.Namespace)
	require.Equal(t, serviceaccount.ObjectRef{Name: "sa", UID: "sa-uid"}, k.ServiceAccount)
	require.Equal(t, &serviceaccount.ObjectRef{Name: "pod-a", UID: "pod-a-uid"}, k.Pod)
	require.Equal(t, &serviceaccount.ObjectRef{Name: "a", UID: "node-a-uid"}, k.Node)
	require.Nil(t, k.Secret)

	_, err = serviceaccount.VerifyBound(out.GetStatus().GetToken(),
		serviceaccount.Expected{Issuers: []string{issuer}, Audiences: []string{issuer}, Now: now.Add(time.Hour + time.Second)}, key.Public())
	require.ErrorIs(t, err, serviceaccount.ErrExpired)

	dry, err := is.IssueToken(context.Background(), "ns", "sa", &authenticationv1.TokenRequest{}, true)
	require.NoError(t, err)
	require.Empty(t, dry.GetStatus().GetToken(), "a dry run issues no token")
}
