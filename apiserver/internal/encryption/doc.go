// Package encryption encrypts stored objects at rest, configured as Kubernetes' apiserver is with
// --encryption-provider-config: an EncryptionConfiguration (apiserver.config.k8s.io/v1) names, per
// set of resources, a list of providers. The first provider encrypts every write; every provider
// can decrypt, each recognising its own values by the prefix it writes
// (k8s:enc:aesgcm:v1:<key name>: or k8s:enc:secretbox:v1:<key name>:; identity writes the value as
// it is). So a key is rotated in steps, a restart of every apiserver after each: add the new key
// second, move it first, rewrite every object (an update that changes nothing still rewrites a
// value the first provider did not write), remove the old key.
//
// Storage applies a Transformer at the point where it encodes objects to etcd values and decodes
// them back, so the watch cache and every read see plain objects.
package encryption
