// Package scheme is Keelson's registry of resource kinds: for each kind its group, version, plural
// resource name, scope and Go message type, so that the apiserver, the typed client and the REST edge
// all agree on how a request path, a storage key and a protobuf message belong together.
//
// A Scheme is immutable once built; Builtin returns a fresh one holding every kind Keelson serves.
package scheme
