// Package serviceaccount signs and verifies service account tokens: JWTs with Kubernetes' legacy
// claims (issuer "kubernetes/serviceaccount", the account's namespace, name and uid, and the
// secret that holds the token), signed with an RSA or ECDSA private key. The controller manager's
// token controller signs with NewSigner; the apiserver verifies with Verify and the public half
// of the same key.
package serviceaccount
