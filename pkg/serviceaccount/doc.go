// Package serviceaccount signs and verifies service account tokens, signed with an RSA or ECDSA
// private key:
//
//   - legacy tokens: JWTs with Kubernetes' legacy claims (issuer "kubernetes/serviceaccount", the
//     account's namespace, name and uid, and the secret that holds the token), which the
//     controller manager's token controller signs with Signer.Sign and the apiserver checks with
//     Verify;
//   - bound tokens: JWTs with Kubernetes' bound claims (issuer --service-account-issuer,
//     audiences, exp/nbf/iat, and the kubernetes.io claim naming the namespace, the service
//     account and the pod or secret the token is bound to, with their uids), built with
//     NewBoundClaims, signed with Signer.SignBound (TokenRequest) and checked with VerifyBound.
//
// Verifiers use the public half of the signer's key (ParsePublicKeysPEM). Whether the objects a
// token names still exist is the apiserver's to check.
package serviceaccount
