// Package storage keeps Keelson objects in etcd. Values are protobuf messages inside a small type
// envelope; every write is a transaction guarded on the key's mod revision, so an object's
// resourceVersion is exactly the etcd revision that last wrote it and a stale writer always loses.
//
// Storage knows nothing about kinds' rules: the registry above it decides what to write, and storage
// only writes it atomically or reports why it could not.
package storage
