// Package pki makes and reads a cluster's certificates: a certificate authority, serving
// certificates named by IP addresses and DNS names, client certificates whose subject carries a
// user (CN) and its groups (O), and the PEM files they live in. Keys are ECDSA P-256; every
// cryptographic step is the standard library's crypto/x509 and crypto/ecdsa.
package pki
